"""Word lists the demo's carrier production is drawn from: where each carrier sells, its plans,
the products and statuses at realistic rates, and the carriers' own status wording.

Carrier keys are the carrier plugins' (`downline carriers`); a key missing here (a third-party
plugin) sells everywhere at a small share, under its plugin's name.
"""

from downline.core.demo import names as N

# The tables below stay compact (several items a line): the formatter is off for them.
# fmt: off

# California holds much of a Medicare book (and five of the carriers sell only there or mostly
# there), so production covers it on top of the demo's states. (county, ZIP prefix) as in names.
CA_COUNTIES = [
    ("Los Angeles", "900"), ("San Diego", "921"), ("Orange", "926"), ("Riverside", "925"),
    ("San Bernardino", "923"), ("Santa Clara", "951"), ("Alameda", "945"),
    ("Sacramento", "958"), ("Fresno", "937"), ("Kern", "933"), ("Ventura", "930"),
]
CA_AREAS = ["213", "310", "323", "408", "415", "510", "559", "619", "661", "714", "805", "909",
            "916", "951"]
# (state, weight, counties)
STATES = [(state, weight, counties) for state, weight, _areas, counties in N.STATES]
STATES.append(("CA", 16, CA_COUNTIES))
AREAS = {state: areas for state, _weight, areas, _counties in N.STATES} | {"CA": CA_AREAS}

# (share of the market where it sells, the demo states it sells in; None: all of them)
CARRIERS = {
    "uhc": (24, None), "humana": (22, None), "aetna": (10, None), "wellcare": (9, None),
    "anthem": (8, ("GA", "OH", "VA", "CA")),
    "molina": (6, ("FL", "TX", "MI", "OH", "SC", "IL", "UT", "CA", "AZ")),
    "devoted": (5, ("FL", "TX", "AZ", "OH", "IL", "NC", "SC", "TN", "AL", "PA")),
    "cigna": (3, None),
    "scan": (8, ("CA", "AZ", "TX")), "alignment": (6, ("CA", "AZ", "NC", "TX", "FL")),
    "bnd": (3, ("CA",)), "central_health_plan": (3, ("CA",)),
    "freedom": (4, ("FL",)), "healthsun": (4, ("FL",)), "memorial_hermann": (4, ("TX",)),
    "banner": (6, ("AZ",)), "zing": (3, ("IL", "MI", "TN", "AL")),
}
OTHER_CARRIER = (2, None)  # a carrier plugin not listed above

# The brand in front of a carrier's plan names.
BRANDS = {
    "aetna": "Aetna Medicare", "alignment": "Alignment Health", "anthem": "Anthem MediBlue",
    "banner": "Banner Medicare Advantage", "bnd": "Brand New Day", "central_health_plan":
    "Central Health", "cigna": "Cigna", "devoted": "Devoted", "freedom": "Freedom",
    "healthsun": "HealthSun", "humana": "Humana", "memorial_hermann": "Memorial Hermann",
    "molina": "Molina", "scan": "SCAN", "uhc": "UnitedHealthcare", "wellcare": "Wellcare",
    "zing": "Zing",
}

# How enrollment platforms write each carrier on an application, aliases included; pairs.py
# keeps the spellings that name the carrier's plugin, and it alone (plugins not listed: their name).
WRITTEN = {
    "aetna": ["Aetna Medicare", "Aetna CVS Health"], "alignment": ["Alignment Health Plan"],
    "anthem": ["Anthem Blue Cross", "Anthem MediBlue", "Elevance Health"],
    "banner": ["Banner Medicare Advantage"], "bnd": ["Brand New Day"],
    "central_health_plan": ["Central Health Plan"], "cigna": ["Cigna Healthcare", "Cigna"],
    "devoted": ["Devoted Health"], "freedom": ["Freedom Health"], "healthsun": ["HealthSun"],
    "humana": ["Humana", "Humana Gold Plus"], "memorial_hermann": ["Memorial Hermann"],
    "molina": ["Molina Healthcare", "Molina"], "scan": ["SCAN Health Plan"],
    "uhc": ["UnitedHealthcare", "AARP Medicare Advantage", "United Healthcare"],
    "wellcare": ["Wellcare", "WellCare by Allwell"], "zing": ["Zing Health"],
}
# Monthly premiums of a Medicare application, in dollars (most Medicare Advantage plans: $0).
MEDICARE_PREMIUMS = {"MEDSUPP": [118, 142, 165, 189, 231], None: [0, 0, 0, 0, 0, 19, 29, 42, 57]}

# Product types at their share of a book; a state draws among those its carriers sell.
PRODUCTS = [
    ("MAPD", 52), ("DSNP", 13), ("ACA", 11), ("PDP", 9), ("MA", 6), ("MEDSUPP", 5), ("CSNP", 4),
    ("DENTAL", 2), ("VISION", 1), ("HOSPITAL_INDEMNITY", 1), ("OTHER", 0.5),
]
MEDICARE = {"MAPD", "MA", "PDP", "DSNP", "CSNP"}  # member id: the MBI; plan id: contract-PBP
PLAN_LINES = {
    "MAPD": [
        "{brand} Value Plus (HMO)", "{brand} Choice (PPO)", "{brand} Premier (HMO-POS)",
        "{brand} Giveback (HMO)", "{brand} Essential (PPO)",
    ],
    "MA": ["{brand} Patriot (PPO)", "{brand} Giveback Select (HMO)", "{brand} Vet Choice (PPO)"],
    "PDP": ["{brand} Basic Rx (PDP)", "{brand} Value Script (PDP)", "{brand} Premier Rx (PDP)"],
    "DSNP": [
        "{brand} Dual Complete (HMO D-SNP)", "{brand} Dual Access (HMO D-SNP)",
        "{brand} Full Dual (HMO D-SNP)",
    ],
    "CSNP": ["{brand} Chronic Care (HMO C-SNP)", "{brand} Heart & Diabetes (HMO C-SNP)"],
    "MEDSUPP": [
        "{brand} Medicare Supplement Plan G", "{brand} Medicare Supplement Plan N",
        "{brand} Medicare Supplement Plan F", "{brand} Medicare Supplement High Deductible G",
    ],
    "ACA": ["{brand} {metal} HMO", "{brand} {metal} EPO", "{brand} {metal} Value"],
    "DENTAL": ["{brand} Dental Preferred", "{brand} Dental Basic"],
    "VISION": ["{brand} Vision Plus"],
    "HOSPITAL_INDEMNITY": ["{brand} Hospital Indemnity"],
    "OTHER": ["{brand} Plan"],
}
ACA_METALS = ["Bronze", "Bronze", "Silver", "Silver", "Silver", "Gold"]

STATUSES = [
    ("ACTIVE", 55), ("APPROVED", 10), ("ATTRITED", 12), ("POLICY_DISENROLLMENT", 18),
    ("DECEASED", 2), ("UNKNOWN", 3),
]
REASONS = {
    "ATTRITED": [("DENIED", 20), ("WITHDRAWN", 30), ("CANCELED", 38), ("OTHER", 12)],
    "POLICY_DISENROLLMENT": [("PLAN_CHANGE", 58), ("PLAN_EXIT", 17), ("OTHER", 25)],
}
# The carriers' own words for a (status, reason): `source_status`, "Status / Reason".
WORDING = {
    ("ACTIVE", None): ["Active", "Active", "Enrolled", "Effectuated", "Accreted"],
    ("APPROVED", None): ["Pending", "Approved", "Future Active", "Accepted by CMS"],
    ("ATTRITED", "DENIED"): [
        "Inactive / Application denied", "Rejected / Incomplete application",
        "Denied / Not eligible",
    ],
    ("ATTRITED", "WITHDRAWN"): ["Inactive / Application withdrawn", "Withdrawn / Member request"],
    ("ATTRITED", "CANCELED"): [
        "Inactive / Cancelled before effective date", "Cancelled / Member cancelled",
    ],
    ("ATTRITED", "OTHER"): ["Inactive / Other", "Cancelled / Other"],
    ("POLICY_DISENROLLMENT", "PLAN_CHANGE"): [
        "Inactive / Enrolled in other plan", "Disenrolled / Member enrolled in new plan",
        "Terminated / Plan change",
    ],
    ("POLICY_DISENROLLMENT", "PLAN_EXIT"): [
        "Inactive / Moved out of service area", "Disenrolled / Plan terminated in county",
        "Terminated / Out of area",
    ],
    ("POLICY_DISENROLLMENT", "OTHER"): [
        "Terminated / Non-payment of premium", "Disenrolled / Voluntary", "Inactive / Other",
    ],
    ("DECEASED", None): ["Deceased", "Terminated / Member deceased"],
    ("UNKNOWN", None): ["Suspended", "On Hold", "Pending Review", "Grace Period"],
}

# What the first policies, the demo agent's, show: every status, and every reason but one.
SHOWCASE = [
    ("ACTIVE", None), ("APPROVED", None), ("ATTRITED", "DENIED"),
    ("POLICY_DISENROLLMENT", "PLAN_CHANGE"), ("DECEASED", None), ("UNKNOWN", None),
    ("ACTIVE", None), ("APPROVED", None), ("ATTRITED", "WITHDRAWN"),
    ("POLICY_DISENROLLMENT", "PLAN_EXIT"), ("DECEASED", None), ("UNKNOWN", None),
    ("ACTIVE", None), ("APPROVED", None), ("ATTRITED", "CANCELED"),
    ("POLICY_DISENROLLMENT", "OTHER"), ("DECEASED", None), ("UNKNOWN", None),
]

# A Medicare Beneficiary Identifier: each position's characters (no S, L, O, I, B or Z).
MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"
MBI_POSITIONS = [
    "123456789", MBI_LETTERS, "0123456789" + MBI_LETTERS, "0123456789", MBI_LETTERS,
    "0123456789" + MBI_LETTERS, "0123456789", MBI_LETTERS, MBI_LETTERS, "0123456789",
    "0123456789",
]
# fmt: on
