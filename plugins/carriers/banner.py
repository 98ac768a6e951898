"""Banner Medicare Advantage: tab-separated, Windows-1252, dates YYYYMMDD."""

from downline.plugins import Delimited, carrier_parser, provide

PARSER = carrier_parser(
    key="banner",
    name="Banner Medicare Advantage",
    source=Delimited("\t", encoding="cp1252"),
    dates="%Y%m%d",
    columns="""
        Agent_NPN        | agent_npn
        Member_Number    | carrier_policy_id
        Last_Name        | last_name
        First_Name       | first_name
        Birth_Date       | dob
        Contract_PBP     | plan_id
        Plan_Name        | plan_name
        Product_Type     | product_type
        County_Name      | county
        State_Code       | state
        App_Date         | submitted_date
        Eff_Date         | effective_date
        Disenroll_Date   | term_date
        Member_Status    | status
        Disenroll_Reason | reason
    """,
    statuses="""
        ENROLLED    |             | ACTIVE
        PENDING     |             | APPROVED
        DISENROLLED | PLAN CHANGE | POLICY_DISENROLLMENT | PLAN_CHANGE
        DISENROLLED | OUT OF AREA | POLICY_DISENROLLMENT | PLAN_EXIT
        DISENROLLED | OTHER       | POLICY_DISENROLLMENT | OTHER
        CANCELLED   |             | ATTRITED             | CANCELED
        REJECTED    |             | ATTRITED             | DENIED
        WITHDRAWN   |             | ATTRITED             | WITHDRAWN
        DECEASED    |             | DECEASED
    """,
    products={"MAPD": "MAPD", "MA": "MA", "DSNP": "DSNP"},
)


downline_carrier_parsers = provide(PARSER)
