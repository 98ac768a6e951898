"""Wellcare: an Excel workbook, sheet 'Sheet1', dates as Excel serial day numbers."""

from downline.plugins import Excel, carrier_parser, provide

PARSER = carrier_parser(
    key="wellcare",
    name="Wellcare",
    source=Excel(sheet="Sheet1"),
    dates="excel-serial",
    columns="""
        AGENT NPN        | agent_npn
        MEMBER ID        | carrier_policy_id
        FIRST NAME       | first_name
        LAST NAME        | last_name
        DOB              | dob
        CONTRACT-PBP     | plan_id
        PLAN NAME        | plan_name
        PRODUCT          | product_type
        COUNTY           | county
        STATE            | state
        APPLICATION DATE | submitted_date
        EFFECTIVE DATE   | effective_date
        TERM DATE        | term_date
        STATUS           | status
        TERM REASON      | reason
    """,
    statuses="""
        ACTIVE    |             | ACTIVE
        PENDING   |             | APPROVED
        TERMED    | PLAN CHANGE | POLICY_DISENROLLMENT | PLAN_CHANGE
        TERMED    | PLAN EXIT   | POLICY_DISENROLLMENT | PLAN_EXIT
        TERMED    | OTHER       | POLICY_DISENROLLMENT | OTHER
        CANCELED  |             | ATTRITED             | CANCELED
        DENIED    |             | ATTRITED             | DENIED
        WITHDRAWN |             | ATTRITED             | WITHDRAWN
        DECEASED  |             | DECEASED
    """,
    products={"MAPD": "MAPD", "PDP": "PDP", "DSNP": "DSNP", "MA": "MA"},
)


downline_carrier_parsers = provide(PARSER)
