"""Aetna: comma-delimited, UTF-8, dates MM/DD/YYYY, plan id from Contract ID + PBP."""

from downline.plugins import Delimited, carrier_parser, provide

PARSER = carrier_parser(
    key="aetna",
    name="Aetna",
    source=Delimited(","),
    dates="%m/%d/%Y",
    columns="""
        Writing Agent NPN    | agent_npn
        Agent Name           | -
        Member ID            | carrier_policy_id
        Member First Name    | first_name
        Member Last Name     | last_name
        Date of Birth        | dob
        Contract ID          | contract
        PBP                  | pbp
        Plan Name            | plan_name
        Product              | product_type
        County               | county
        State                | state
        Application Date     | submitted_date
        Effective Date       | effective_date
        Termination Date     | term_date
        Enrollment Status    | status
        Disenrollment Reason | reason
    """,
    statuses="""
        Active        |                                 | ACTIVE
        Pending       |                                 | APPROVED
        Future Active |                                 | APPROVED
        Terminated    | Enrolled in another plan        | POLICY_DISENROLLMENT | PLAN_CHANGE
        Terminated    | Plan terminated in service area | POLICY_DISENROLLMENT | PLAN_EXIT
        Terminated    | Non-payment of premium          | POLICY_DISENROLLMENT | OTHER
        Cancelled     |                                 | ATTRITED             | CANCELED
        Denied        |                                 | ATTRITED             | DENIED
        Withdrawn     |                                 | ATTRITED             | WITHDRAWN
        Deceased      |                                 | DECEASED
        Suspended     |                                 | UNKNOWN
    """,
    products={"MAPD": "MAPD", "MA": "MA", "PDP": "PDP", "DSNP": "DSNP"},
)


downline_carrier_parsers = provide(PARSER)
