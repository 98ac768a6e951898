"""ede_permission_lost: applications whose Enhanced Direct Enrollment permission was lost, so
their details may be stale (docs/domain.md); most recently lost first."""

from downline import plugins as kit

C = kit.models.Client

CELLS = (
    *kit.client_cells("client_id", "first_name", "last_name", "application_id", "plan_year"),
    kit.cell(
        "permission_lost_at",
        "When the EDE permission was lost (UTC).",
        C.ede_permission_lost_at,
        kind="datetime",
    ),
    kit.cell(
        "last_synced_at",
        "Last time the application was synced from the Marketplace (UTC).",
        C.last_synced_at,
        kind="datetime",
    ),
    *kit.WRITING_AGENT,
)


def rows(ctx: kit.ExportContext):
    lost = C.ede_permission_lost_at
    return kit.scoped_rows(ctx, lost.is_not(None), order=(lost.desc(), C.id))


EDE_PERMISSION_LOST = kit.export_type(
    key="ede_permission_lost",
    title="EDE permission lost",
    description="Applications whose Enhanced Direct Enrollment (EDE) permission was lost, "
    "so their details may be stale.",
    scopes=kit.BOTH,
    cells=CELLS,
    rows=rows,
)


downline_export_types = kit.provide(EDE_PERMISSION_LOST)
