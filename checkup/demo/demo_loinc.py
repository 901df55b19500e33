"""LOINC codes of the demo catalog's lab items, so the API's worklist and the FHIR Observations name them in
the code a LIS and a hospital's records understand. Each code matches the item's specimen and unit (a
μmol/L bilirubin is the Moles/volume code, not the Mass/volume one). Items without a certain LOINC code
(CA72-4, CYFRA 21-1, NSE, and the non-lab items) keep only the portal's own code."""

from checkup.models import ExamItem

LOINC_CODES = {
    # blood routine (automated count)
    "WBC": "6690-2",
    "RBC": "789-8",
    "HGB": "718-7",
    "HCT": "4544-3",
    "MCV": "787-2",
    "MCH": "785-6",
    "MCHC": "786-4",
    "RDW-CV": "788-0",
    "PLT": "777-3",
    "NEUT-PCT": "770-8",
    "LYMPH-PCT": "736-9",
    "MONO-PCT": "5905-5",
    "EO-PCT": "713-8",
    "BASO-PCT": "706-2",
    "NEUT-ABS": "751-8",
    "LYMPH-ABS": "731-0",
    # urinalysis (test strip; sediment by microscopy, high power field)
    "U-PH": "5803-2",
    "U-SG": "5811-5",
    "U-PRO": "5804-0",
    "U-GLU": "5792-7",
    "U-BLD": "5794-3",
    "U-KET": "5797-6",
    "U-BIL": "5770-3",
    "U-URO": "5818-0",
    "U-LEU": "5799-2",
    "U-NIT": "5802-4",
    "U-RBC": "13945-1",
    "U-WBC": "5821-4",
    # stool
    "FOBT": "2335-8",
    # liver function (serum or plasma)
    "ALT": "1742-6",
    "AST": "1920-8",
    "GGT": "2324-2",
    "ALP": "6768-6",
    "TBIL": "14631-6",
    "DBIL": "14629-0",
    "TP": "2885-2",
    "ALB": "1751-7",
    "GLB": "10834-0",
    # kidney function
    "UREA": "22664-7",
    "CREA": "14682-9",
    "UA": "14933-6",
    "EGFR": "62238-1",
    # lipids (moles/volume)
    "TC": "14647-2",
    "TG": "14927-8",
    "HDL-C": "14646-4",
    "LDL-C": "22748-8",
    # glucose and HbA1c
    "FPG": "14771-0",
    "HBA1C": "4548-4",
    # electrolytes and cardiovascular markers
    "K": "2823-3",
    "NA": "2951-2",
    "HCY": "13965-9",
    "HSCRP": "30522-7",
    # thyroid
    "TSH": "3016-3",
    "FT3": "14928-6",
    "FT4": "14920-3",
    # tumour markers
    "AFP": "1834-1",
    "CEA": "2039-6",
    "CA19-9": "24108-3",
    "FERR": "2276-4",
    "CA125": "10334-1",
    "CA15-3": "6875-9",
    "TPSA": "2857-1",
    "FPSA": "10886-0",
    # infectious disease screening
    "HBSAG": "5196-1",
}


def fill_loinc_codes() -> int:
    """Give the demo catalog's items their LOINC codes; returns how many items got one."""
    filled = 0
    for code, loinc in LOINC_CODES.items():
        filled += ExamItem.update(loinc=loinc).where(ExamItem.code == code).execute()
    return filled
