"""Devoted Health: CSV, UTF-8 with a byte-order mark, snake_case headers, ISO dates."""

from downline.plugins import Delimited, carrier_parser, provide

PARSER = carrier_parser(
    key="devoted",
    name="Devoted Health",
    source=Delimited(","),
    dates="%Y-%m-%d",
    columns="""
        agent_npn            | agent_npn
        member_id            | carrier_policy_id
        first_name           | first_name
        last_name            | last_name
        birth_date           | dob
        plan_id              | plan_id
        plan_name            | plan_name
        plan_type            | product_type
        county               | county
        state                | state
        application_date     | submitted_date
        coverage_start_date  | effective_date
        coverage_end_date    | term_date
        enrollment_status    | status
        disenrollment_reason | reason
    """,
    statuses="""
        active      |                           | ACTIVE
        pending     |                           | APPROVED
        disenrolled | switched_plans            | POLICY_DISENROLLMENT | PLAN_CHANGE
        disenrolled | moved_out_of_service_area | POLICY_DISENROLLMENT | PLAN_EXIT
        disenrolled | nonpayment                | POLICY_DISENROLLMENT | OTHER
        canceled    |                           | ATTRITED             | CANCELED
        rejected    |                           | ATTRITED             | DENIED
        withdrawn   |                           | ATTRITED             | WITHDRAWN
        deceased    |                           | DECEASED
    """,
    products={"mapd": "MAPD", "ma": "MA", "dsnp": "DSNP", "csnp": "CSNP"},
)


downline_carrier_parsers = provide(PARSER)
