"""HealthSun: pipe-delimited, numeric status codes, PBP without zero padding."""

from downline.plugins import Delimited, carrier_parser, provide

PARSER = carrier_parser(
    key="healthsun",
    name="HealthSun",
    source=Delimited("|"),
    dates="%m/%d/%Y",
    columns="""
        AGENT_NPN    | agent_npn
        MEMBER_NO    | carrier_policy_id
        MBR_FIRST_NM | first_name
        MBR_LAST_NM  | last_name
        MBR_DOB      | dob
        CONTRACT     | contract
        PBP          | pbp
        PLAN_NM      | plan_name
        PROD_TYPE    | product_type
        CNTY         | county
        ST           | state
        APP_DT       | submitted_date
        EFF_DT       | effective_date
        TERM_DT      | term_date
        STATUS_CD    | status
        TERM_RSN_CD  | reason
    """,
    statuses="""
        1 |    | ACTIVE
        2 |    | APPROVED
        3 | PC | POLICY_DISENROLLMENT | PLAN_CHANGE
        3 | SA | POLICY_DISENROLLMENT | PLAN_EXIT
        3 | OT | POLICY_DISENROLLMENT | OTHER
        4 |    | ATTRITED             | CANCELED
        5 |    | ATTRITED             | DENIED
        6 |    | ATTRITED             | WITHDRAWN
        7 |    | DECEASED
    """,
    products={"MAPD": "MAPD", "MA": "MA", "DSNP": "DSNP"},
)


downline_carrier_parsers = provide(PARSER)
