"""Humana: CSV; 'Inactive' is split by Status Reason, and 'Inactive / Other' by the dates."""

from downline.plugins import Delimited, carrier_parser, provide

PARSER = carrier_parser(
    key="humana",
    name="Humana",
    source=Delimited(","),
    dates="%m/%d/%Y",
    columns="""
        Agent SAN            | -
        Agent NPN            | agent_npn
        Humana ID            | carrier_policy_id
        MBI                  | member_id
        First Name           | first_name
        Last Name            | last_name
        Birth Date           | dob
        Contract             | contract
        PBP                  | pbp
        Segment              | -
        Plan Name            | plan_name
        Product Type         | product_type
        County               | county
        State                | state
        Application Received | submitted_date
        Effective Date       | effective_date
        Term Date            | term_date
        Status               | status
        Status Reason        | reason
    """,
    # ENDED: ATTRITED when the term date is on or before the effective date, else disenrolled.
    statuses="""
        Active   |                                 | ACTIVE
        Pending  |                                 | APPROVED
        Inactive | Enrolled in other plan          | POLICY_DISENROLLMENT | PLAN_CHANGE
        Inactive | Moved out of service area       | POLICY_DISENROLLMENT | PLAN_EXIT
        Inactive | Cancelled before effective date | ATTRITED             | CANCELED
        Inactive | Application denied              | ATTRITED             | DENIED
        Inactive | Application withdrawn           | ATTRITED             | WITHDRAWN
        Inactive | Other                           | ENDED                | OTHER
        Deceased |                                 | DECEASED
    """,
    products={"MAPD": "MAPD", "MA": "MA", "PDP": "PDP", "DSNP": "DSNP", "CSNP": "CSNP"},
)


downline_carrier_parsers = provide(PARSER)
