"""Acme Health: a made-up carrier, the worked example of a downline carrier plugin.

Acme sends a semicolon-delimited CSV: one header line, one policy a line, the member's name as
"Last, First", dates as DD.MM.YYYY, a policy status with a reason, and a trailer line counting
the records. Everything below is data handed to `carrier_parser`; reading the rows, matching the
header, sniffing, parsing dates and rejecting bad rows all come from downline's kit.
"""

from downline.plugins import Delimited, carrier_parser, provide

PARSER = carrier_parser(
    key="acme",
    name="Acme Health",
    # ';' between values; the last line must be "TOTAL RECORDS: <n>" or the file is rejected.
    source=Delimited(";", trailer="TOTAL RECORDS: {count}"),
    dates="%d.%m.%Y",
    # Acme's header label | the PolicyRecord field it fills ("-": a column read and ignored).
    columns="""
        Policy No         | carrier_policy_id
        Writing Agent NPN | agent_npn
        Member ID         | member_id
        Member Name       | name_last_first
        Date of Birth     | dob
        Plan Code         | plan_id
        Plan              | plan_name
        Line of Business  | product_type
        County            | county
        State             | state
        Signed            | submitted_date
        Effective         | effective_date
        Terminated        | term_date
        Policy Status     | status
        Status Reason     | reason
        Office            | -
    """,
    # Acme's status | its reason | our status | our term reason. A blank reason cell matches any
    # reason not listed for that status; ENDED decides between ATTRITED and POLICY_DISENROLLMENT
    # by the dates.
    statuses="""
        In Force  |                   | ACTIVE
        Submitted |                   | APPROVED
        Lapsed    | Switched plans    | POLICY_DISENROLLMENT | PLAN_CHANGE
        Lapsed    | Left service area | POLICY_DISENROLLMENT | PLAN_EXIT
        Lapsed    |                   | ENDED                | OTHER
        Declined  |                   | ATTRITED             | DENIED
        Withdrawn |                   | ATTRITED             | WITHDRAWN
        Deceased  |                   | DECEASED
    """,
    # Acme's "Line of Business" words (any letter case); any other word reads as OTHER.
    products={"MAPD": "MAPD", "MA Only": "MA", "Part D": "PDP", "Dual SNP": "DSNP"},
)


downline_carrier_parsers = provide(PARSER)
