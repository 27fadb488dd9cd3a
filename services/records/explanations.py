"""What common lab tests measure and what a high or low value usually means, in plain words for
patients (written for about an 8th-grade reading level), keyed by the panel's LOINC code. Never
a diagnosis: each explanation ends by sending the reader to their care team.

The words follow the patient pages of MedlinePlus (U.S. National Library of Medicine) for each
test; they are the clinic's own short summaries, not copies.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.core.language import N_, t


@dataclass(frozen=True)
class Explanation:
    name: str  # the test in everyday words
    measures: str  # what it measures and why it is done
    high: str  # what a high value usually means
    low: str  # what a low value usually means


NOT_A_DIAGNOSIS = N_(
    "One result outside the range does not mean you are sick. Your care team looks at all "
    "your results and your health together. Ask them what your result means for you."
)

EXPLANATIONS = {
    "57698-3": Explanation(
        N_("Lipid panel (cholesterol test)"),
        N_(
            'This test measures fats in your blood: total cholesterol, HDL ("good") '
            'cholesterol, LDL ("bad") cholesterol and triglycerides. It helps show your risk '
            "of heart disease and stroke."
        ),
        N_(
            "High LDL, total cholesterol or triglycerides can build up in your blood vessels "
            "over time. Food, exercise, weight and some medicines can bring them down. A high "
            "HDL is usually good."
        ),
        N_(
            "A low HDL means less of the cholesterol that helps clear fat from your blood. Low "
            "LDL or total cholesterol is usually not a problem."
        ),
    ),
    "4548-4": Explanation(
        N_("Hemoglobin A1c (average blood sugar)"),
        N_(
            "This test shows your average blood sugar over the last two to three months. It is "
            "used to check for diabetes and to see how well diabetes is controlled."
        ),
        N_(
            "A high A1c means your blood sugar has been high. From 5.7% to 6.4% is often called "
            "prediabetes; 6.5% or more may mean diabetes. If you have diabetes, your care team "
            "will tell you your own goal."
        ),
        N_(
            "A low A1c is not common. If you take medicine for diabetes, it can mean your blood "
            "sugar has often been too low."
        ),
    ),
    "51990-0": Explanation(
        N_("Basic metabolic panel"),
        N_(
            "This group of tests checks your blood sugar (glucose), the salts in your blood "
            "(sodium, potassium, chloride, carbon dioxide), calcium, and how well your kidneys "
            "work (BUN and creatinine)."
        ),
        N_(
            "A high value can come from many things, such as not drinking enough water, "
            "diabetes, kidney problems or some medicines. Which value is high matters."
        ),
        N_(
            "A low value can come from things like drinking a lot of water, losing fluid "
            "(vomiting or diarrhea) or some medicines. Which value is low matters."
        ),
    ),
    "24323-8": Explanation(
        N_("Comprehensive metabolic panel"),
        N_(
            "This group of tests has everything in the basic metabolic panel. It also checks "
            "your liver (ALT, AST and bilirubin) and the proteins in your blood (albumin and "
            "total protein)."
        ),
        N_(
            "High liver tests can mean your liver is irritated, for example by alcohol, some "
            "medicines or an infection. Other high values depend on which test it is."
        ),
        N_(
            "Low protein or albumin can come from not eating enough protein, or from liver or "
            "kidney problems. Other low values depend on which test it is."
        ),
    ),
    "58410-2": Explanation(
        N_("Complete blood count (CBC)"),
        N_(
            "This test counts the cells in your blood: red blood cells (and their hemoglobin, "
            "which carries oxygen), white blood cells (which fight infection) and platelets "
            "(which help blood clot)."
        ),
        N_(
            "A high white blood cell count often means your body is fighting an infection or "
            "swelling. High red cells or platelets can have several causes."
        ),
        N_(
            "Low hemoglobin or red cells (anemia) can make you feel tired. Low white cells can "
            "make infections more likely, and low platelets can make you bruise or bleed more "
            "easily."
        ),
    ),
    "3016-3": Explanation(
        N_("Thyroid stimulating hormone (TSH)"),
        N_(
            "TSH is a hormone that tells your thyroid gland how much thyroid hormone to make. "
            "This test checks whether your thyroid is working normally."
        ),
        N_(
            "A high TSH usually means your thyroid is making too little hormone (an underactive "
            "thyroid). This can make you feel tired, cold or gain weight."
        ),
        N_(
            "A low TSH usually means your thyroid is making too much hormone (an overactive "
            "thyroid). This can make you feel nervous, warm or lose weight."
        ),
    ),
    "14959-1": Explanation(
        N_("Urine albumin (kidney check)"),
        N_(
            "This test looks for albumin, a protein, in your urine. Healthy kidneys keep almost "
            "all albumin in the blood. It is often done for people with diabetes or high blood "
            "pressure."
        ),
        N_(
            "More albumin than normal can be an early sign of kidney damage. Your care team may "
            "repeat the test, because exercise or an infection can raise it for a short time."
        ),
        N_("A low or normal amount of albumin in your urine is what is expected."),
    ),
}


def explanation(panel_code: str) -> Explanation | None:
    """The test's explanation in the current language, or None for a test we have none for."""
    found = EXPLANATIONS.get(panel_code)
    if found is None:
        return None
    return Explanation(t(found.name), t(found.measures), t(found.high), t(found.low))
