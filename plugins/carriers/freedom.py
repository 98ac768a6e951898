"""Freedom Health: an Excel workbook, sheet 'BOB', three preamble rows, dates as MM/DD/YYYY text."""

from downline.plugins import Excel, carrier_parser, provide

PARSER = carrier_parser(
    key="freedom",
    name="Freedom Health",
    source=Excel(sheet="BOB", preamble=3),
    dates="%m/%d/%Y",
    columns="""
        Agent NPN                 | agent_npn
        Agent Name                | -
        Member ID                 | carrier_policy_id
        Member Name (Last, First) | name_last_first
        DOB                       | dob
        Plan Number               | plan_id
        Plan Name                 | plan_name
        Plan Category             | product_type
        County                    | county
        State                     | state
        Application Date          | submitted_date
        Effective Date            | effective_date
        Termination Date          | term_date
        Status                    | status
        Termination Reason        | reason
    """,
    statuses="""
        Active     |              | ACTIVE
        Pending    |              | APPROVED
        Terminated | Changed plan | POLICY_DISENROLLMENT | PLAN_CHANGE
        Terminated | Plan exit    | POLICY_DISENROLLMENT | PLAN_EXIT
        Terminated | Other        | POLICY_DISENROLLMENT | OTHER
        Cancelled  |              | ATTRITED             | CANCELED
        Denied     |              | ATTRITED             | DENIED
        Withdrawn  |              | ATTRITED             | WITHDRAWN
        Deceased   |              | DECEASED
    """,
    products={"MAPD": "MAPD", "MA": "MA", "C-SNP": "CSNP", "D-SNP": "DSNP"},
)


downline_carrier_parsers = provide(PARSER)
