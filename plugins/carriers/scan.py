"""SCAN Health Plan: CSV with CRLF line ends; the reason code decides, not its description."""

from downline.plugins import Delimited, carrier_parser, provide

PARSER = carrier_parser(
    key="scan",
    name="SCAN Health Plan",
    source=Delimited(","),
    dates="%m/%d/%Y",
    columns="""
        Agent NPN                        | agent_npn
        Member ID                        | carrier_policy_id
        Last Name                        | last_name
        First Name                       | first_name
        DOB                              | dob
        Plan                             | plan_id
        Plan Name                        | plan_name
        Plan Type                        | product_type
        County                           | county
        State                            | state
        Sign Date                        | submitted_date
        Eff Date                         | effective_date
        Term Date                        | term_date
        Member Status                    | status
        Disenrollment Reason Code        | reason
        Disenrollment Reason Description | -
    """,
    statuses="""
        Active      |               | ACTIVE
        Pending     |               | APPROVED
        Disenrolled | VOL-NEWPLAN   | POLICY_DISENROLLMENT | PLAN_CHANGE
        Disenrolled | INV-OUTOFAREA | POLICY_DISENROLLMENT | PLAN_EXIT
        Disenrolled | OTHER         | POLICY_DISENROLLMENT | OTHER
        Cancelled   |               | ATTRITED             | CANCELED
        Denied      |               | ATTRITED             | DENIED
        Withdrawn   |               | ATTRITED             | WITHDRAWN
        Deceased    |               | DECEASED
    """,
    products={"MAPD": "MAPD", "MA": "MA", "SNP": "DSNP"},
)


downline_carrier_parsers = provide(PARSER)
