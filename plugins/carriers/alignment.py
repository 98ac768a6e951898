"""Alignment Health: pipe-delimited after a two-line preamble; status and reason are codes."""

from downline.plugins import Delimited, carrier_parser, provide

PARSER = carrier_parser(
    key="alignment",
    name="Alignment Health",
    source=Delimited("|", preamble=2),
    dates="%Y-%m-%d",
    columns="""
        BROKER_NPN       | agent_npn
        MEMBER_ID        | carrier_policy_id
        MEMBER_NAME      | name_last_first
        DOB              | dob
        PLAN_ID          | plan_id
        PLAN_NAME        | plan_name
        PLAN_TYPE        | product_type
        COUNTY           | county
        STATE            | state
        SIGNATURE_DATE   | submitted_date
        EFFECTIVE_DATE   | effective_date
        TERM_DATE        | term_date
        STATUS           | status
        TERM_REASON_CODE | reason
    """,
    statuses="""
        A |    | ACTIVE
        P |    | APPROVED
        T | 01 | POLICY_DISENROLLMENT | PLAN_CHANGE
        T | 02 | POLICY_DISENROLLMENT | PLAN_EXIT
        T | 99 | POLICY_DISENROLLMENT | OTHER
        C |    | ATTRITED             | CANCELED
        D |    | ATTRITED             | DENIED
        W |    | ATTRITED             | WITHDRAWN
        X |    | DECEASED
    """,
    products={"MAPD": "MAPD", "MA-ONLY": "MA", "PDP": "PDP", "DSNP": "DSNP"},
)


downline_carrier_parsers = provide(PARSER)
