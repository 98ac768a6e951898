"""ede_permission_lost: applications whose Enhanced Direct Enrollment permission was lost, so
their details may be stale (exports.md); most recently lost first."""

from downline.plugins import (
    BOTH,
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
    *client_cells("client_id", "first_name", "last_name", "application_id", "plan_year"),
    cell(
        "permission_lost_at",
        "When the EDE permission was lost (UTC).",
        C.ede_permission_lost_at,
        kind="datetime",
    ),
    cell(
        "last_synced_at",
        "Last time the application was synced from the Marketplace (UTC).",
        C.last_synced_at,
        kind="datetime",
    ),
    *WRITING_AGENT,
)


def rows(ctx: ExportContext):
    lost = C.ede_permission_lost_at
    return scoped_rows(ctx, lost.is_not(None), order=(lost.desc(), C.id))


EDE_PERMISSION_LOST = export_type(
    key="ede_permission_lost",
    title="EDE permission lost",
    description="Applications whose Enhanced Direct Enrollment (EDE) permission was lost, "
    "so their details may be stale.",
    scopes=BOTH,
    cells=CELLS,
    rows=rows,
)


downline_export_types = provide(EDE_PERMISSION_LOST)
