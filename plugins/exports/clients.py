"""clients: the agent's Clients page, with plan and application details (docs/domain.md)."""

from downline import plugins as kit

CLIENTS = kit.export_type(
    key="clients",
    title="Clients",
    description="Clients on your Clients page, with plan and application details.",
    scopes=kit.AGENT_ONLY,
    parameters=kit.CLIENT_FILTER,
    cells=kit.CLIENTS_PAGE,
    rows=kit.client_list(),
)


downline_export_types = kit.provide(CLIENTS)
