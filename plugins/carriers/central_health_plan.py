"""Central Health Plan of California: CSV, 'FIRST LAST' names, two-digit years, a trailer."""

from downline.plugins import Delimited, carrier_parser, provide

PARSER = carrier_parser(
    key="central_health_plan",
    name="Central Health Plan of California",
    source=Delimited(",", trailer="TOTAL RECORDS: {count}"),
    dates="%m/%d/%y",
    columns="""
        NPN            | agent_npn
        Member ID      | carrier_policy_id
        Member Name    | name_first_last
        Date Of Birth  | dob
        Plan Code      | plan_id
        Plan           | plan_name
        LOB            | product_type
        County         | county
        State          | state
        Submit Date    | submitted_date
        Effective Date | effective_date
        Term Date      | term_date
        Status         | status
        Reason         | reason
    """,
    statuses="""
        ACTIVE     |          | ACTIVE
        PENDING    |          | APPROVED
        TERMINATED | NEW PLAN | POLICY_DISENROLLMENT | PLAN_CHANGE
        TERMINATED | MOVED    | POLICY_DISENROLLMENT | PLAN_EXIT
        TERMINATED | OTHER    | POLICY_DISENROLLMENT | OTHER
        CANCELLED  |          | ATTRITED             | CANCELED
        DENIED     |          | ATTRITED             | DENIED
        WITHDRAWN  |          | ATTRITED             | WITHDRAWN
        DECEASED   |          | DECEASED
    """,
    products={"MAPD": "MAPD", "SNP": "DSNP", "MA": "MA"},
)


downline_carrier_parsers = provide(PARSER)
