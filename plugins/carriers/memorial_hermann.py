"""Memorial Hermann Health Plan: tab-separated, no status column (the dates decide)."""

from downline.plugins import Delimited, carrier_parser, provide

PARSER = carrier_parser(
    key="memorial_hermann",
    name="Memorial Hermann Health Plan",
    source=Delimited("\t"),
    dates="%Y-%m-%d",
    columns="""
        npn           | agent_npn
        policy_number | carrier_policy_id
        member_first  | first_name
        member_last   | last_name
        dob           | dob
        plan_code     | plan_id
        plan          | plan_name
        product       | product_type
        county        | county
        state         | state
        submitted     | submitted_date
        effective     | effective_date
        termed        | term_date
        term_reason   | reason
    """,
    # No status word: the reason names the term reason of an inferred disenrollment, else OTHER.
    statuses="""
        | PLAN CHANGE  | POLICY_DISENROLLMENT | PLAN_CHANGE
        | SERVICE AREA | POLICY_DISENROLLMENT | PLAN_EXIT
    """,
    products={"MAPD": "MAPD", "MA": "MA", "ACA": "ACA"},
)


downline_carrier_parsers = provide(PARSER)
