"""Reference tables for the synthetic population: names, sites, lab panels, drugs, codes."""

from __future__ import annotations

import uuid

FIRST_NAMES_F = (
    "Olivia Emma Ava Sophia Mia Amelia Harper Evelyn Abigail Ella Grace Chloe Nora Lily Zoe "
    "Hannah Aria Layla Riley Leah Maya Ruth Joan Carol Linda Susan Karen Nancy Betty Helen"
).split()
FIRST_NAMES_M = (
    "Liam Noah Oliver James Elijah William Henry Lucas Benjamin Theodore Jack Levi Owen Samuel "
    "Ezra Caleb Isaac Julian David John Robert Michael Thomas Charles Daniel Paul Mark Steven"
).split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Olson Larson"
).split()

SITES = (  # (code, name, state, a made-up street address)
    ("RST", "Lakeside Health Rochester", "MN", "1200 Lakeview Drive NW, Rochester, MN 55901"),
    ("MSP", "Lakeside Health Minneapolis", "MN", "410 Harbor Avenue, Minneapolis, MN 55401"),
    ("PHX", "Lakeside Health Phoenix", "AZ", "2750 Desert Willow Road, Phoenix, AZ 85004"),
    ("SCT", "Lakeside Health Scottsdale", "AZ", "88 Canyon Vista Way, Scottsdale, AZ 85251"),
    ("JAX", "Lakeside Health Jacksonville", "FL", "5 Riverbend Plaza, Jacksonville, FL 32202"),
    ("LAC", "Lakeside Health La Crosse", "WI", "730 Bluff Street, La Crosse, WI 54601"),
)

SPECIALTIES = ("Family Medicine", "Internal Medicine", "Pediatrics", "Endocrinology", "Cardiology")

# (LOINC, name, unit, ref_low, ref_high, mean, sd) per component; the panel's LOINC code first.
PANELS: dict[
    str,
    tuple[
        str, str, str, tuple[tuple[str, str, str, float | None, float | None, float, float], ...]
    ],
] = {
    "bmp": (
        "51990-0",
        "Basic metabolic panel",
        "chemistry",
        (
            ("2345-7", "Glucose", "mg/dL", 70, 99, 92, 10),
            ("3094-0", "Urea nitrogen (BUN)", "mg/dL", 7, 20, 14, 4),
            ("2160-0", "Creatinine", "mg/dL", 0.6, 1.3, 0.95, 0.18),
            ("2951-2", "Sodium", "mmol/L", 135, 145, 140, 2.2),
            ("2823-3", "Potassium", "mmol/L", 3.5, 5.1, 4.2, 0.35),
            ("2075-0", "Chloride", "mmol/L", 98, 107, 102, 2.5),
            ("2028-9", "Carbon dioxide", "mmol/L", 22, 29, 25, 2),
            ("17861-6", "Calcium", "mg/dL", 8.6, 10.3, 9.4, 0.4),
        ),
    ),
    "lipid": (
        "57698-3",
        "Lipid panel",
        "chemistry",
        (
            ("2093-3", "Cholesterol, total", "mg/dL", None, 200, 190, 35),
            ("2085-9", "HDL cholesterol", "mg/dL", 40, None, 52, 13),
            ("13457-7", "LDL cholesterol (calculated)", "mg/dL", None, 100, 112, 30),
            ("2571-8", "Triglycerides", "mg/dL", None, 150, 135, 55),
        ),
    ),
    "a1c": (
        "4548-4",
        "Hemoglobin A1c",
        "chemistry",
        (("4548-4", "Hemoglobin A1c", "%", 4.0, 5.6, 5.3, 0.3),),
    ),
    "cbc": (
        "58410-2",
        "Complete blood count",
        "hematology",
        (
            ("6690-2", "White blood cells", "10*3/uL", 4.0, 11.0, 7.0, 1.6),
            ("718-7", "Hemoglobin", "g/dL", 12.0, 17.5, 14.2, 1.2),
            ("4544-3", "Hematocrit", "%", 36, 50, 42, 3.5),
            ("777-3", "Platelets", "10*3/uL", 150, 400, 260, 55),
        ),
    ),
    "tsh": (
        "3016-3",
        "Thyroid stimulating hormone",
        "chemistry",
        (("3016-3", "TSH", "mIU/L", 0.4, 4.0, 1.9, 0.8),),
    ),
}

PROBLEMS = {
    "hypertension": ("I10", "Essential (primary) hypertension"),
    "diabetes2": ("E11.9", "Type 2 diabetes mellitus without complications"),
    "diabetes1": ("E10.9", "Type 1 diabetes mellitus without complications"),
    "heart_failure": ("I50.9", "Heart failure, unspecified"),
    "hyperlipidemia": ("E78.5", "Hyperlipidemia, unspecified"),
    "asthma": ("J45.909", "Unspecified asthma, uncomplicated"),
    "obesity": ("E66.9", "Obesity, unspecified"),
}

MEDICATIONS = {
    "hypertension": (
        ("Lisinopril", "314076", "10 mg tablet", "once daily"),
        ("Amlodipine", "197361", "5 mg tablet", "once daily"),
    ),
    "diabetes2": (("Metformin", "861007", "500 mg tablet", "twice daily with meals"),),
    "diabetes1": (
        ("Insulin glargine", "274783", "20 units", "once daily at bedtime"),
        ("Insulin lispro", "242120", "per carb ratio", "with meals"),
    ),
    "heart_failure": (
        ("Furosemide", "197417", "40 mg tablet", "once daily"),
        ("Carvedilol", "200031", "6.25 mg tablet", "twice daily"),
    ),
    "hyperlipidemia": (("Atorvastatin", "617312", "20 mg tablet", "once daily"),),
    "asthma": (("Albuterol inhaler", "745679", "90 mcg/actuation", "2 puffs as needed"),),
}

# The demo patient's medicines besides their conditions' (no random draws, so the rest of the
# seed is unchanged): a controlled substance, a stopped course, one without refills left, and
# one that may be refilled online. (name, RxNorm, dose, frequency, status, refills, DEA schedule)
DEMO_MEDICATIONS = (
    ("Zolpidem", "854873", "5 mg tablet", "at bedtime as needed", "active", 2, "IV"),
    ("Amoxicillin", "308182", "500 mg capsule", "three times daily", "stopped", 0, None),
    ("Fluticasone nasal spray", "896188", "50 mcg/spray", "2 sprays daily", "active", 0, None),
    ("Cetirizine", "1014678", "10 mg tablet", "once daily", "active", 3, None),
)

ALLERGIES = (
    ("Penicillin", "Hives", "moderate"),
    ("Sulfa drugs", "Rash", "mild"),
    ("Peanuts", "Anaphylaxis", "severe"),
    ("Latex", "Contact dermatitis", "mild"),
    ("Codeine", "Nausea", "mild"),
    ("Shellfish", "Swelling of lips", "moderate"),
)

VACCINES = (
    ("Influenza, seasonal, injectable", "141"),
    ("COVID-19, mRNA", "208"),
    ("Tdap", "115"),
    ("Pneumococcal conjugate PCV20", "216"),
    ("Zoster recombinant", "187"),
)

IMAGING = (
    ("XR", "Chest X-ray, 2 views", "Lungs are clear. Heart size is normal. No acute findings."),
    ("US", "Abdominal ultrasound", "Liver, gallbladder and kidneys appear normal. No free fluid."),
    ("CT", "CT head without contrast", "No acute intracranial abnormality."),
    ("MR", "MRI lumbar spine", "Mild degenerative disc disease at L4-L5 without stenosis."),
    ("XR", "Left knee X-ray, 3 views", "Mild medial joint space narrowing. No fracture."),
)

VISIT_REASONS = (
    "Annual wellness visit",
    "Follow-up: blood pressure",
    "Follow-up: diabetes",
    "Cough and fever",
    "Back pain",
    "Medication review",
    "Heart failure check",
    "Rash",
    "Knee pain",
    "Headache",
)

# Subjects of the seeded conversations with the care team, and their categories.
MESSAGE_TOPICS = (
    ("Question about my medication", "medical"),
    ("Home blood pressure readings", "medical"),
    ("Lab result question", "medical"),
    ("Glucose readings after meals", "medical"),
    ("Appointment follow-up", "appointment"),
    ("Side effects", "medical"),
    ("Referral request", "other"),
)

# The pharmacy directory: name, address, phone, NCPDP number (all made up).
PHARMACY_DIRECTORY = (
    ("Main Street Pharmacy", "210 Main Street, Rochester, MN 55902", "507-555-0141", "2400011"),
    (
        "Lakeside Outpatient Pharmacy",
        "1200 Lakeview Drive NW, Rochester, MN 55901",
        "507-555-0100",
        "2400028",
    ),
    ("Corner Drug", "45 Broadway Avenue S, Rochester, MN 55904", "507-555-0177", "2400035"),
    ("MedMart #214", "3800 Highway 52 N, Rochester, MN 55901", "507-555-0162", "2400042"),
)
PHARMACIES = tuple(p[0] for p in PHARMACY_DIRECTORY)


def pharmacy_id(ncpdp: str) -> str:
    """A directory entry's id, the same in every seed (made from its NCPDP number)."""
    return str(uuid.uuid5(uuid.NAMESPACE_OID, f"pharmacy-{ncpdp}"))


PAYERS = ("Blue Lake Health Plan", "Medicare Part B", "Prairie Mutual", "State Medicaid")

# What people do after signing in (services.core.usage.FEATURES): the home overview most.
USAGE_FEATURES = (
    ("home", 0.22),
    ("results", 0.20),
    ("messages", 0.15),
    ("metrics", 0.12),
    ("appointments", 0.12),
    ("billing", 0.06),
    ("records", 0.06),
    ("refills", 0.05),
    ("documents", 0.02),
    ("device_import", 0.01),
)
# Portal use by weekday (Mon..Sun) and hour: weekday peaks, quiet weekends and nights.
WEEKDAY_WEIGHTS = (1.25, 1.15, 1.1, 1.05, 0.95, 0.6, 0.55)
HOUR_WEIGHTS = (
    0.2,
    0.1,
    0.1,
    0.1,
    0.2,
    0.5,
    1.2,
    2.2,
    3.0,
    3.2,
    3.0,
    2.8,
    2.6,
    2.6,
    2.5,
    2.4,
    2.4,
    2.6,
    3.0,
    3.3,
    3.0,
    2.2,
    1.2,
    0.5,
)
