"""UnitedHealthcare: CSV; 'Accreted' is in effect, 'Disenrolled' alone is a disenrollment."""

from downline.plugins import Delimited, carrier_parser, provide

PARSER = carrier_parser(
    key="uhc",
    name="UnitedHealthcare",
    source=Delimited(","),
    dates="%m/%d/%Y",
    columns="""
        Writing Agent ID      | -
        Writing Agent NPN     | agent_npn
        Member Number         | carrier_policy_id
        Member First Name     | first_name
        Member Last Name      | last_name
        Member DOB            | dob
        Plan Code             | plan_id
        Plan Description      | plan_name
        Product               | product_type
        County                | county
        State                 | state
        Submitted Date        | submitted_date
        Policy Effective Date | effective_date
        Policy Term Date      | term_date
        Policy Status         | status
        Term Reason           | reason
    """,
    statuses="""
        Active      |                             | ACTIVE
        Accreted    |                             | ACTIVE
        Pending     |                             | APPROVED
        Disenrolled | Member enrolled in new plan | POLICY_DISENROLLMENT | PLAN_CHANGE
        Disenrolled | Plan exit                   | POLICY_DISENROLLMENT | PLAN_EXIT
        Disenrolled |                             | POLICY_DISENROLLMENT | OTHER
        Cancelled   |                             | ATTRITED             | CANCELED
        Rejected    |                             | ATTRITED             | DENIED
        Withdrawn   |                             | ATTRITED             | WITHDRAWN
        Deceased    |                             | DECEASED
    """,
    products={
        "MAPD": "MAPD",
        "MA": "MA",
        "PDP": "PDP",
        "DSNP": "DSNP",
        "CSNP": "CSNP",
        "MEDSUPP": "MEDSUPP",
    },
    aliases=("United Healthcare", "AARP Medicare"),
)


downline_carrier_parsers = provide(PARSER)
