"""clients: the agent's Clients page, with plan and application details (exports.md)."""

from downline.plugins import (
    AGENT_ONLY,
    CLIENT_FILTER,
    CLIENTS_PAGE,
    client_list,
    export_type,
    provide,
)

CLIENTS = export_type(
    key="clients",
    title="Clients",
    description="Clients on your Clients page, with plan and application details.",
    scopes=AGENT_ONLY,
    parameters=CLIENT_FILTER,
    cells=CLIENTS_PAGE,
    rows=client_list(),
)


downline_export_types = provide(CLIENTS)
