"""Brand New Day (BND): fixed-width, no header, a 'TRL' + 9-digit record count trailer."""

import re

from downline.plugins import FixedWidth, carrier_parser, provide

# field, 1-based start, width, maps to
LAYOUT = (
    ("NPN", 1, 10, "agent_npn"),
    ("MEMBER_ID", 11, 12, "carrier_policy_id"),
    ("LAST_NAME", 23, 20, "last_name"),
    ("FIRST_NAME", 43, 15, "first_name"),
    ("DOB", 58, 8, "dob"),
    ("PLAN_ID", 66, 9, "plan_id"),
    ("PRODUCT", 75, 6, "product_type"),
    ("COUNTY", 81, 15, "county"),
    ("STATE", 96, 2, "state"),
    ("APP_DATE", 98, 8, "submitted_date"),
    ("EFF_DATE", 106, 8, "effective_date"),
    ("TERM_DATE", 114, 8, "term_date"),
    ("STATUS", 122, 2, "status"),
    ("REASON", 124, 2, "reason"),
)


def hyphenate_plan_id(plan_id: str) -> str:
    """'H1234001' is H1234-001."""
    return re.sub(r"^([A-Za-z]\d{4})(\d{3})$", r"\1-\2", plan_id)


PARSER = carrier_parser(
    key="bnd",
    name="Brand New Day (BND)",
    source=FixedWidth(tuple(field[:3] for field in LAYOUT), trailer="TRL{count:09d}"),
    dates="%Y%m%d",
    statuses="""
        AC |    | ACTIVE
        PE |    | APPROVED
        TM | PC | POLICY_DISENROLLMENT | PLAN_CHANGE
        TM | PX | POLICY_DISENROLLMENT | PLAN_EXIT
        TM | OT | POLICY_DISENROLLMENT | OTHER
        CN |    | ATTRITED             | CANCELED
        DN |    | ATTRITED             | DENIED
        WD |    | ATTRITED             | WITHDRAWN
        DC |    | DECEASED
    """,
    products={"MAPD": "MAPD", "MA": "MA", "DSNP": "DSNP", "CSNP": "CSNP"},
    columns={label: name for label, _, _, name in LAYOUT},
    cleaners={"plan_id": hyphenate_plan_id},
    aliases=("Brand New Day",),
)


downline_carrier_parsers = provide(PARSER)
