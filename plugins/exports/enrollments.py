"""enrollments: the clients of every account in the agency's downline (docs/domain.md): the rows of
`clients(filter: {exchange: ON_EX, ...})` for the admin, with the writing agent's agency."""

from dataclasses import replace

from downline import plugins as kit

# The Clients list's filter, but on the Marketplace unless asked otherwise.
PARAMETERS = tuple(
    replace(p, default="ON_EX", description="ON_EX (the default) or OFF_EX.")
    if p.name == "exchange"
    else p
    for p in kit.CLIENT_FILTER
)

ENROLLMENTS = kit.export_type(
    key="enrollments",
    title="Enrollments",
    description="The clients of every account in your agency's downline.",
    scopes=kit.AGENCY_ONLY,
    parameters=PARAMETERS,
    cells=(*kit.CLIENTS_PAGE, *kit.WRITING_AGENCY),
    rows=kit.client_list(agency=True),
)


downline_export_types = kit.provide(ENROLLMENTS)
