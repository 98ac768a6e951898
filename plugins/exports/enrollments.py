"""enrollments: the clients of every account in the agency's downline (exports.md): the rows of
`clients(filter: {exchange: ON_EX, ...})` for the admin, with the writing agent's agency."""

from dataclasses import replace

from downline.plugins import (
    AGENCY_ONLY,
    CLIENT_FILTER,
    CLIENTS_PAGE,
    WRITING_AGENCY,
    client_list,
    export_type,
    provide,
)

# The Clients list's filter, but on the Marketplace unless asked otherwise.
PARAMETERS = tuple(
    replace(p, default="ON_EX", description="ON_EX (the default) or OFF_EX.")
    if p.name == "exchange"
    else p
    for p in CLIENT_FILTER
)

ENROLLMENTS = export_type(
    key="enrollments",
    title="Enrollments",
    description="The clients of every account in your agency's downline.",
    scopes=AGENCY_ONLY,
    parameters=PARAMETERS,
    cells=(*CLIENTS_PAGE, *WRITING_AGENCY),
    rows=client_list(agency=True),
)


downline_export_types = provide(ENROLLMENTS)
