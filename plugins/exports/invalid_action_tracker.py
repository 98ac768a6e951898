"""invalid_action_tracker: enrollments that met a CMS Invalid Action error, to follow consumers
who finish through a resume link (exports.md); most recent error first."""

from sqlalchemy import false, func

from downline.plugins import (
    BOTH,
    CONTACT,
    WRITING_AGENT,
    ExportContext,
    cell,
    client_cells,
    export_type,
    models,
    provide,
    scoped_rows,
)

C = models.Client

CELLS = (
    *CONTACT,
    *client_cells("application_id"),
    cell(
        "error_at", "When the Invalid Action error happened (UTC).", C.ia_error_at, kind="datetime"
    ),
    cell("resume_link", "The link the consumer finishes the enrollment with.", C.ia_resume_link),
    cell(
        "resumed",
        "Whether the consumer resumed through the link.",
        func.coalesce(C.ia_resumed, false()),
        kind="bool",
    ),
    cell(
        "three_way_call_completed",
        "Whether it was finished on a 3-way call with the Marketplace.",
        C.ia_three_way_call_completed,
        kind="bool",
    ),
    *WRITING_AGENT,
)


def rows(ctx: ExportContext):
    order = (C.ia_error_at.desc().nulls_last(), C.id)
    return scoped_rows(ctx, C.invalid_action.is_(True), order=order)


INVALID_ACTION_TRACKER = export_type(
    key="invalid_action_tracker",
    title="Invalid Action tracker",
    description="Enrollments that met a CMS Invalid Action error, to follow consumers who "
    "finish through a resume link.",
    scopes=BOTH,
    cells=CELLS,
    rows=rows,
)


downline_export_types = provide(INVALID_ACTION_TRACKER)
