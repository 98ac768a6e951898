"""Molina Healthcare: CSV covering Marketplace (HIOS plan ids) and Medicare lines."""

from downline.plugins import Delimited, carrier_parser, provide

PARSER = carrier_parser(
    key="molina",
    name="Molina Healthcare",
    source=Delimited(","),
    dates="%m/%d/%Y",
    columns="""
        Broker NPN       | agent_npn
        Subscriber ID    | carrier_policy_id
        Subscriber Name  | name_last_first
        DOB              | dob
        Line of Business | product_type
        Plan ID          | plan_id
        Plan Name        | plan_name
        County           | county
        State            | state
        Application Date | submitted_date
        Effective Date   | effective_date
        Term Date        | term_date
        Policy Status    | status
        Term Reason      | reason
    """,
    statuses="""
        Effectuated     |             | ACTIVE
        Grace Period    |             | ACTIVE
        Pending Payment |             | APPROVED
        Terminated      | Plan change | POLICY_DISENROLLMENT | PLAN_CHANGE
        Terminated      | Non-payment | POLICY_DISENROLLMENT | OTHER
        Cancelled       |             | ATTRITED             | CANCELED
        Denied          |             | ATTRITED             | DENIED
        Withdrawn       |             | ATTRITED             | WITHDRAWN
        Deceased        |             | DECEASED
    """,
    products={"Marketplace": "ACA", "Medicare": "MAPD", "MMP": "DSNP"},
)


downline_carrier_parsers = provide(PARSER)
