"""Word lists the demo book is drawn from: people, places, carriers, plans and follow-up work.

Counties and 3-digit ZIP prefixes are real (the ZIP is the prefix plus two random digits); phone
numbers use the fictional 555 exchange; consumer emails use the reserved example.* domains and
downline's own demo links the non-existent `.downline` domain, so nothing here reaches a person.
"""

TOP_AGENCY = "Summit Health Partners"
DEMO_DOMAIN = "demo.downline"
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
SUBADMIN_EMAIL = f"subadmin@{DEMO_DOMAIN}"
AGENT_EMAIL = f"agent@{DEMO_DOMAIN}"

# The tables below stay compact (several items a line): the formatter is off for them.
# fmt: off
AGENCY_PLACES = [
    "Gulf Coast", "Lone Star", "Peachtree", "Blue Ridge", "Desert Sun", "Sunshine State",
    "Piedmont", "Bayou", "Magnolia", "Cascade", "Heartland", "Palmetto", "Tidewater", "Big Sky",
    "Great Lakes", "Red River", "Ozark", "Saguaro", "Coastal Plains", "Keystone", "Evergreen",
    "Prairie", "Harbor", "Canyon", "Riverbend", "Pinecrest", "Lakeshore",
]
AGENCY_WORDS = [
    "Health", "Benefits", "Insurance", "Coverage", "Care", "Wellness", "Family Health",
    "Marketplace", "Senior & Family", "Health Plan",
]
AGENCY_SUFFIXES = [
    "Group", "Advisors", "Partners", "Agency", "Associates", "Solutions", "Brokers", "Network",
    "Alliance", "Services",
]

FIRST_NAMES = [
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Christopher", "Karen", "Charles", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony",
    "Sandra", "Mark", "Margaret", "Donald", "Ashley", "Steven", "Kimberly", "Andrew", "Emily",
    "Paul", "Donna", "Joshua", "Michelle", "Kenneth", "Carol", "Kevin", "Amanda", "Brian",
    "Melissa", "George", "Deborah", "Timothy", "Stephanie", "Ronald", "Rebecca", "Jason", "Sharon",
    "Edward", "Laura", "Jeffrey", "Cynthia", "Ryan", "Dorothy", "Jacob", "Amy", "Gary", "Kathleen",
    "Nicholas", "Angela", "Eric", "Shirley", "Jonathan", "Emma", "Stephen", "Brenda", "Larry",
    "Pamela", "Justin", "Nicole", "Scott", "Anna", "Brandon", "Samantha", "Benjamin", "Katherine",
    "Samuel", "Christine", "Gregory", "Debra", "Alexander", "Rachel", "Patrick", "Carolyn", "Frank",
    "Janet", "Raymond", "Maria", "Jack", "Olivia", "Dennis", "Heather", "Jerry", "Helen", "Tyler",
    "Catherine", "Aaron", "Diane", "Jose", "Julie", "Adam", "Victoria", "Nathan", "Joyce", "Henry",
    "Lauren", "Zachary", "Kelly", "Douglas", "Christina", "Peter", "Ruth", "Kyle", "Joan", "Noah",
    "Virginia", "Ethan", "Judith", "Jeremy", "Evelyn", "Christian", "Hannah", "Walter", "Andrea",
    "Keith", "Megan", "Austin", "Cheryl", "Roger", "Jacqueline", "Terry", "Madison", "Sean",
    "Teresa", "Gerald", "Abigail", "Carl", "Sophia", "Dylan", "Martha", "Harold", "Sara", "Jordan",
    "Gloria", "Jesse", "Janice", "Bryan", "Kathryn", "Lawrence", "Ann", "Arthur", "Isabella",
    "Gabriel", "Judy", "Bruce", "Charlotte", "Logan", "Julia", "Billy", "Grace", "Joe", "Amber",
    "Alan", "Alice", "Juan", "Jean", "Elijah", "Denise", "Willie", "Frances", "Albert", "Danielle",
    "Wayne", "Marilyn", "Randy", "Natalie", "Mason", "Beverly", "Vincent", "Diana", "Liam",
    "Brittany", "Roy", "Theresa", "Bobby", "Kayla", "Caleb", "Alexis", "Bradley", "Doris",
    "Russell", "Lori", "Lucas", "Tiffany", "Luis", "Carmen", "Carlos", "Rosa", "Miguel",
    "Guadalupe", "Alejandro", "Ana", "Javier", "Lucía", "José", "María José", "Andrés", "Zoë",
    "Renée", "Minh", "Linh", "Wei", "Mei", "Priya", "Arjun", "Fatima", "Omar", "Aaliyah", "DeShawn",
    "Imani", "Malik", "Yesenia", "Esperanza", "Héctor", "Nguyễn Anh", "Siobhán", "Zoltán", "Björn",
]

LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark",
    "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres",
    "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell",
    "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker",
    "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy", "Cook",
    "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed", "Kelly",
    "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez", "Wood",
    "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez", "Castillo",
    "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez", "Powell", "Jenkins", "Perry",
    "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes", "Gonzales", "Fisher",
    "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander", "Hamilton", "Graham",
    "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes", "Bryant", "Herrera",
    "Gibson", "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray", "Ford", "Castro",
    "Marshall", "Owens", "Harrison", "Fernandez", "McDonald", "Woods", "Washington", "Kennedy",
    "Wells", "Vargas", "Henry", "Chen", "Freeman", "Webb", "Tucker", "Guzman", "Burns", "Crawford",
    "Olson", "Simpson", "Porter", "Hunter", "Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason",
    "Dixon", "Muñoz", "Hunt", "Hicks", "Holmes", "Palmer", "Wagner", "Black", "Robertson", "Boyd",
    "Rose", "Stone", "Salazar", "Fox", "Warren", "Mills", "Meyer", "Rice", "Schmidt", "Garza",
    "Daniels", "Ferguson", "Nichols", "Stephens", "Soto", "Weaver", "Ryan", "Gardner", "Payne",
    "Grant", "Dunn", "O'Brien", "O'Connor", "D'Angelo", "Van der Berg", "St. Pierre", "Nuñez",
    "Peña", "Ibáñez", "Pham", "Le", "Huang", "Zhang", "Singh", "Shah", "Okafor", "Adeyemi",
    "Haddad", "Kowalski", "Smith-Jones", "García-López", "Thomas, Jr.", "Brown III",
]

# (state, weight, area codes, [(county, zip3), ...]): real counties with a real ZIP prefix each.
STATES = [
    ("FL", 30, ["305", "786", "954", "561", "407", "813", "727", "904", "239", "352"], [
        ("Miami-Dade", "331"), ("Broward", "333"), ("Palm Beach", "334"), ("Orange", "328"),
        ("Hillsborough", "336"), ("Pinellas", "337"), ("Duval", "322"), ("Lee", "339"),
        ("Polk", "338"), ("Osceola", "347"), ("Brevard", "329"), ("Volusia", "321"),
        ("Seminole", "327"), ("Pasco", "346"), ("Alachua", "326"), ("Leon", "323"),
    ]),
    ("TX", 22, ["713", "832", "281", "214", "972", "210", "512", "817", "915", "956"], [
        ("Harris", "770"), ("Dallas", "752"), ("Tarrant", "761"), ("Bexar", "782"),
        ("Travis", "787"), ("Collin", "750"), ("Denton", "762"), ("Hidalgo", "785"),
        ("El Paso", "799"), ("Fort Bend", "774"), ("Williamson", "786"), ("Cameron", "785"),
        ("Montgomery", "773"), ("Nueces", "784"), ("Lubbock", "794"),
    ]),
    ("GA", 10, ["404", "678", "770", "470", "706", "912", "229"], [
        ("Fulton", "303"), ("Gwinnett", "300"), ("Cobb", "300"), ("DeKalb", "300"),
        ("Clayton", "302"), ("Chatham", "314"), ("Richmond", "309"), ("Bibb", "312"),
        ("Henry", "302"), ("Muscogee", "319"),
    ]),
    ("NC", 8, ["704", "980", "919", "984", "336", "910", "828", "252"], [
        ("Mecklenburg", "282"), ("Wake", "276"), ("Guilford", "274"), ("Forsyth", "271"),
        ("Durham", "277"), ("Cumberland", "283"), ("Buncombe", "288"), ("New Hanover", "284"),
        ("Union", "281"), ("Gaston", "280"),
    ]),
    ("AZ", 6, ["602", "480", "623", "520", "928"], [
        ("Maricopa", "850"), ("Pima", "857"), ("Pinal", "851"), ("Yavapai", "863"),
        ("Mohave", "864"), ("Yuma", "853"), ("Coconino", "860"),
    ]),
    ("TN", 4, ["615", "901", "865", "423", "731"], [
        ("Davidson", "372"), ("Shelby", "381"), ("Knox", "379"), ("Hamilton", "374"),
        ("Rutherford", "371"), ("Williamson", "370"),
    ]),
    ("SC", 4, ["803", "843", "864"], [
        ("Greenville", "296"), ("Richland", "292"), ("Charleston", "294"), ("Horry", "295"),
        ("Spartanburg", "293"), ("Lexington", "290"),
    ]),
    ("OH", 3, ["614", "216", "513", "330", "419"], [
        ("Franklin", "432"), ("Cuyahoga", "441"), ("Hamilton", "452"), ("Summit", "443"),
        ("Montgomery", "454"), ("Lucas", "436"),
    ]),
    ("PA", 3, ["215", "267", "412", "717", "610"], [
        ("Philadelphia", "191"), ("Allegheny", "152"), ("Montgomery", "194"), ("Bucks", "189"),
        ("Lancaster", "176"), ("Delaware", "190"),
    ]),
    ("MI", 3, ["313", "248", "616", "517", "810"], [
        ("Wayne", "481"), ("Oakland", "483"), ("Macomb", "480"), ("Kent", "495"),
        ("Genesee", "485"), ("Washtenaw", "481"),
    ]),
    ("IL", 3, ["312", "773", "630", "847", "217"], [
        ("Cook", "606"), ("DuPage", "601"), ("Lake", "600"), ("Will", "604"), ("Kane", "601"),
    ]),
    ("VA", 2, ["703", "571", "804", "757", "540"], [
        ("Fairfax", "220"), ("Prince William", "221"), ("Virginia Beach", "234"),
        ("Loudoun", "201"), ("Chesterfield", "238"), ("Henrico", "232"),
    ]),
    ("AL", 2, ["205", "251", "256", "334"], [
        ("Jefferson", "352"), ("Mobile", "366"), ("Madison", "358"), ("Montgomery", "361"),
    ]),
    ("LA", 2, ["504", "225", "318", "337"], [
        ("Orleans", "701"), ("East Baton Rouge", "708"), ("Jefferson", "700"), ("Caddo", "711"),
        ("Lafayette", "705"),
    ]),
    ("UT", 1, ["801", "385", "435"], [
        ("Salt Lake", "841"), ("Utah", "846"), ("Davis", "840"), ("Weber", "844"),
    ]),
]

# Carriers selling on every exchange in the demo, and those selling only in some states.
NATIONAL_CARRIERS = ["Ambetter", "Oscar", "Aetna CVS Health", "UnitedHealthcare", "Cigna"]
STATE_CARRIERS = {
    "FL": ["Florida Blue", "Florida Blue", "Molina", "AvMed"],
    "TX": ["BCBS TX", "BCBS TX", "Molina", "Baylor Scott & White Health Plan"],
    "GA": ["Anthem Blue Cross Blue Shield", "CareSource", "Alliant Health Plans"],
    "NC": ["Blue Cross NC", "Blue Cross NC", "WellCare of North Carolina"],
    "AZ": ["Blue Cross Blue Shield of Arizona", "Banner|Aetna", "Molina"],
    "TN": ["BlueCross BlueShield of Tennessee"],
    "SC": ["BlueCross BlueShield of South Carolina", "Molina"],
    "OH": ["Anthem Blue Cross Blue Shield", "CareSource", "Medical Mutual", "Molina"],
    "PA": ["Independence Blue Cross", "Highmark", "UPMC Health Plan"],
    "MI": ["Blue Cross Blue Shield of Michigan", "Priority Health", "Molina"],
    "IL": ["BCBS IL", "Health Alliance"],
    "VA": ["Anthem HealthKeepers", "CareFirst", "Sentara Health Plans"],
    "AL": ["Blue Cross and Blue Shield of Alabama"],
    "LA": ["Blue Cross and Blue Shield of Louisiana", "Vantage Health Plan"],
    "UT": [
        "SelectHealth", "Regence BlueCross BlueShield of Utah", "University of Utah Health Plans",
    ],
}
# Product lines per carrier ("{metal}" is filled in); carriers not listed use GENERIC_LINES.
PLAN_LINES = {
    "Ambetter": [
        "Ambetter {metal} Balanced Care", "Ambetter {metal} Secure Care", "Ambetter Clear {metal}",
        "Ambetter Value {metal} + Vision + Adult Dental",
    ],
    "Oscar": [
        "Oscar {metal} Simple", "Oscar {metal} Classic", "Oscar {metal} Elite Saver",
        "Oscar {metal} Standard",
    ],
    "Florida Blue": ["BlueSelect {metal}", "myBlue {metal}", "BlueOptions {metal}"],
    "BCBS TX": ["Blue Advantage {metal} HMO", "MyBlue Health {metal}", "Blue Premier {metal}"],
    "Aetna CVS Health": ["Aetna CVS Health {metal} S", "Aetna CVS Health {metal} Copay"],
    "UnitedHealthcare": ["UHC {metal} Value", "UHC {metal} Essential", "UHC {metal} Copay Focus"],
    "Cigna": ["Cigna Connect {metal}", "Cigna Simple Choice {metal}"],
    "Molina": ["Molina Constant Care {metal}", "Molina Core Care {metal}"],
}
GENERIC_LINES = ["{carrier} {metal} PPO", "{carrier} {metal} HMO", "{carrier} {metal} EPO"]

# (metal level, weight, monthly premium per member at 40, in dollars)
METALS = [
    ("bronze", 34, 390), ("expanded bronze", 6, 410), ("silver", 44, 500), ("gold", 12, 560),
    ("platinum", 2, 690), ("catastrophic", 2, 300),
]
APPLICATION_STATUSES = [
    ("unsubmitted", 8), ("submitted", 15), ("effectuated", 62), ("cancelled", 7), ("terminated", 8),
]

AOR_REASONS = [
    "Another agent was named Agent of Record",
    "Consumer updated the application with another broker",
    "Carrier reported a different broker of record",
    "Plan changed on HealthCare.gov without this agent",
]
DMI_TYPES = [
    "Annual income", "Citizenship", "Immigration status", "Social Security number",
    "Incarceration status", "American Indian/Alaska Native status", "Employer-sponsored coverage",
    "Medicaid/CHIP eligibility",
]
SVI_TYPES = [
    "Loss of minimum essential coverage", "Permanent move", "Marriage", "Birth or adoption",
    "Gaining lawful presence", "Medicaid/CHIP denial",
]
# A DMI's or SVI's status: open until documents are sent, then submitted, then resolved; past its
# due date mostly resolved or expired.
VERIFICATION_STATUSES_DUE = [("open", 60), ("submitted", 30), ("resolved", 10)]
VERIFICATION_STATUSES_PAST = [("resolved", 55), ("expired", 25), ("open", 10), ("submitted", 10)]

FOLLOW_UPS = [
    ("Welcome call", "Introduce yourself, confirm doctors and prescriptions are covered."),
    ("Binder payment reminder", "First premium due before coverage starts; confirm it is paid."),
    ("Collect documents", "Client will upload proof of income (\"2 pay stubs\")."),
    ("Effectuation check", "Confirm the carrier shows the policy as active."),
    ("Renewal review", "Review next year's plans and the new subsidy amount."),
    ("Call back", "Left voicemail, call after 5pm; prefers Spanish."),
    ("Update income", "Income changed mid-year, report it to avoid repaying APTC."),
    ("Add dependent", "New baby due soon, add within 60 days of birth."),
]

LEAD_SOURCES = [
    ("Facebook ad", 22), ("Google search", 18), ("Referral", 16), ("Website form", 14),
    ("Inbound call", 12), ("Lead vendor", 10), ("Open enrollment event", 5), ("Walk-in", 3),
]
LEAD_STATUSES = [("new", 30), ("contacted", 25), ("quoted", 18), ("converted", 15), ("lost", 12)]
LEAD_NOTES = [
    "Wants a plan with their current doctor in network.",
    "Asked about dental and vision, call back Tuesday.",
    "Turning 65 next year, mention Medicare options.",
    "Self-employed, income varies; estimate from last year's 1099s.",
    "Prefers text messages, not calls.", "Quoted silver and bronze plans, comparing deductibles.",
    "Said \"too expensive\" last year, show the new subsidy.", "Family of four, two kids on CHIP?",
]

EMAIL_DOMAINS = ["example.com", "example.net", "example.org", "mail.example.com"]
PROGRAMS = [
    "Open Enrollment Production Bonus", "Quarterly Persistency Bonus",
    "New Agent Ramp-Up Incentive", "Carrier Growth Incentive",
]
EAP_AMOUNTS = [25, 50, 50, 75, 100]
# fmt: on
