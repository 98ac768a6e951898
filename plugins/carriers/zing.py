"""Zing Health: CSV, columns in an unusual order plus extra ones, dates YYYY/MM/DD."""

from downline.plugins import Delimited, carrier_parser, provide

PARSER = carrier_parser(
    key="zing",
    name="Zing Health",
    source=Delimited(","),
    dates="%Y/%m/%d",
    columns="""
        Status                 | status
        Reason                 | reason
        Member Id              | carrier_policy_id
        Agent Npn              | agent_npn
        Member First           | first_name
        Member Last            | last_name
        Birth Date             | dob
        Plan Id                | plan_id
        Plan Name              | plan_name
        Plan Type              | product_type
        County                 | county
        State                  | state
        Application Date       | submitted_date
        Start Date             | effective_date
        End Date               | term_date
        Region                 | -
        Broker Of Record Since | -
    """,
    statuses="""
        Enrolled    |             | ACTIVE
        Pending     |             | APPROVED
        Disenrolled | Plan Change | POLICY_DISENROLLMENT | PLAN_CHANGE
        Disenrolled | Plan Exit   | POLICY_DISENROLLMENT | PLAN_EXIT
        Disenrolled | Other       | POLICY_DISENROLLMENT | OTHER
        Canceled    |             | ATTRITED             | CANCELED
        Denied      |             | ATTRITED             | DENIED
        Withdrawn   |             | ATTRITED             | WITHDRAWN
        Deceased    |             | DECEASED
    """,
    products={"MAPD": "MAPD", "CSNP": "CSNP", "DSNP": "DSNP"},
)


downline_carrier_parsers = provide(PARSER)
