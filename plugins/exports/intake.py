"""intake: the unique intake links of consumers working with downline agents, to share with
them (exports.md); by name."""

from downline.plugins import (
    AGENCY_ONLY,
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
    *client_cells("client_id", "first_name", "last_name", "email", "phone"),
    cell("intake_link", "The consumer's unique intake link.", C.intake_link),
    *WRITING_AGENT,
)


def rows(ctx: ExportContext):
    order = (C.last_name, C.first_name, C.id)
    return scoped_rows(ctx, C.intake_link.is_not(None), order=order)


INTAKE = export_type(
    key="intake",
    title="Intake links",
    description="Unique intake links of consumers working with your downline agents, to share "
    "with them.",
    scopes=AGENCY_ONLY,
    cells=CELLS,
    rows=rows,
)


downline_export_types = provide(INTAKE)
