"""invalid_action_tracker: enrollments that met a CMS Invalid Action error, to follow consumers
who finish through a resume link (docs/domain.md); most recent error first."""

from sqlalchemy import false, func

from downline import plugins as kit

C = kit.models.Client

CELLS = (
    *kit.CONTACT,
    *kit.client_cells("application_id"),
    kit.cell(
        "error_at", "When the Invalid Action error happened (UTC).", C.ia_error_at, kind="datetime"
    ),
    kit.cell(
        "resume_link", "The link the consumer finishes the enrollment with.", C.ia_resume_link
    ),
    kit.cell(
        "resumed",
        "Whether the consumer resumed through the link.",
        func.coalesce(C.ia_resumed, false()),
        kind="bool",
    ),
    kit.cell(
        "three_way_call_completed",
        "Whether it was finished on a 3-way call with the Marketplace.",
        C.ia_three_way_call_completed,
        kind="bool",
    ),
    *kit.WRITING_AGENT,
)


def rows(ctx: kit.ExportContext):
    order = (C.ia_error_at.desc().nulls_last(), C.id)
    return kit.scoped_rows(ctx, C.invalid_action.is_(True), order=order)


INVALID_ACTION_TRACKER = kit.export_type(
    key="invalid_action_tracker",
    title="Invalid Action tracker",
    description="Enrollments that met a CMS Invalid Action error, to follow consumers who "
    "finish through a resume link.",
    scopes=kit.BOTH,
    cells=CELLS,
    rows=rows,
)


downline_export_types = kit.provide(INVALID_ACTION_TRACKER)
