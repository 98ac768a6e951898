"""Cigna Healthcare: CSV with every field quoted, dates like 05-Jan-2026."""

from downline.plugins import Delimited, carrier_parser, provide

PARSER = carrier_parser(
    key="cigna",
    name="Cigna Healthcare",
    source=Delimited(","),
    dates="%d-%b-%Y",
    columns="""
        Writing Broker NPN      | agent_npn
        Customer ID             | carrier_policy_id
        Customer First Name     | first_name
        Customer Last Name      | last_name
        Customer DOB            | dob
        Plan ID                 | plan_id
        Plan Name               | plan_name
        Plan Type               | product_type
        County                  | county
        State                   | state
        Application Signed Date | submitted_date
        Effective Date          | effective_date
        Disenrollment Date      | term_date
        Status                  | status
        Status Reason           | reason
    """,
    statuses="""
        Active      |                           | ACTIVE
        Pending     |                           | APPROVED
        Disenrolled | Voluntary - new plan      | POLICY_DISENROLLMENT | PLAN_CHANGE
        Disenrolled | Involuntary - out of area | POLICY_DISENROLLMENT | PLAN_EXIT
        Disenrolled | Other                     | POLICY_DISENROLLMENT | OTHER
        Canceled    |                           | ATTRITED             | CANCELED
        Denied      |                           | ATTRITED             | DENIED
        Withdrawn   |                           | ATTRITED             | WITHDRAWN
        Deceased    |                           | DECEASED
    """,
    products={
        "Medicare Advantage PD": "MAPD",
        "Medicare Advantage": "MA",
        "Medicare Part D": "PDP",
        "D-SNP": "DSNP",
        "Medicare Supplement": "MEDSUPP",
    },
)


downline_carrier_parsers = provide(PARSER)
