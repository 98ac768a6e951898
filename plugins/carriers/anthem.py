"""Anthem: an Excel workbook, sheet 'Book of Business', real Excel date cells."""

from downline.plugins import Excel, carrier_parser, provide

PARSER = carrier_parser(
    key="anthem",
    name="Anthem",
    source=Excel(sheet="Book of Business"),
    dates="excel-date",
    columns="""
        Producer NPN              | agent_npn
        Producer Name             | -
        HCID                      | carrier_policy_id
        Subscriber First Name     | first_name
        Subscriber Last Name      | last_name
        Birth Date                | dob
        Product Line              | product_type
        Plan                      | plan_id
        Plan Description          | plan_name
        County                    | county
        State                     | state
        Application Received Date | submitted_date
        Coverage Effective Date   | effective_date
        Coverage End Date         | term_date
        Policy Status             | status
        Cancel Reason             | reason
    """,
    statuses="""
        Active               |                        | ACTIVE
        Pending Effectuation |                        | APPROVED
        Termed               | Member changed plans   | POLICY_DISENROLLMENT | PLAN_CHANGE
        Termed               | Service area reduction | POLICY_DISENROLLMENT | PLAN_EXIT
        Termed               | Other                  | POLICY_DISENROLLMENT | OTHER
        Cancelled            |                        | ATTRITED             | CANCELED
        Declined             |                        | ATTRITED             | DENIED
        Withdrawn            |                        | ATTRITED             | WITHDRAWN
        Deceased             |                        | DECEASED
    """,
    products={
        "Medicare Advantage Prescription Drug": "MAPD",
        "Medicare Advantage": "MA",
        "Prescription Drug Plan": "PDP",
        "Dual Special Needs": "DSNP",
        "Medicare Supplement": "MEDSUPP",
    },
    aliases=("Anthem Blue Cross", "Elevance"),
)


downline_carrier_parsers = provide(PARSER)
