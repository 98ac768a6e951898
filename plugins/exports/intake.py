"""intake: the unique intake links of consumers working with downline agents, to share with
them (docs/domain.md); by name."""

from downline import plugins as kit

C = kit.models.Client

CELLS = (
    *kit.client_cells("client_id", "first_name", "last_name", "email", "phone"),
    kit.cell("intake_link", "The consumer's unique intake link.", C.intake_link),
    *kit.WRITING_AGENT,
)


def rows(ctx: kit.ExportContext):
    order = (C.last_name, C.first_name, C.id)
    return kit.scoped_rows(ctx, C.intake_link.is_not(None), order=order)


INTAKE = kit.export_type(
    key="intake",
    title="Intake links",
    description="Unique intake links of consumers working with your downline agents, to share "
    "with them.",
    scopes=kit.AGENCY_ONLY,
    cells=CELLS,
    rows=rows,
)


downline_export_types = kit.provide(INTAKE)
