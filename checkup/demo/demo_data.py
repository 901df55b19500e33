"""Demo data for a realistic mainland-China health-checkup center.

Pure data: no imports from the app. The loader (written elsewhere) reads the module-level lists
DEPARTMENTS, RESOURCES, EXAM_ITEMS, REFERENCE_RANGES, PACKAGES, ORGANIZATIONS and CLIENTS.

Reference ranges are adult values as printed by Chinese labs (mostly WS/T 404/405 industry standards,
Roche Cobas kit inserts for immunoassays, Chinese hypertension / obesity guidelines for vitals).
Item applicability by sex is not a field of ExamItem; it is documented by MALE_ONLY_ITEMS and
FEMALE_ONLY_ITEMS below (and enforced by tests/demo/test_demo_data.py): "any" packages never contain those items.
"""
from decimal import Decimal

D = Decimal

# ---------------------------------------------------------------------------------------------
# Departments (stations). Lab panels are separate stations so reports group like Chinese reports.
# ---------------------------------------------------------------------------------------------
DEPARTMENTS = [  # code, name_en, name_zh
    ("GEN", "General examination", "一般检查"),
    ("INT", "Internal medicine", "内科"),
    ("SURG", "Surgery", "外科"),
    ("OPH", "Ophthalmology", "眼科"),
    ("ENT", "Otorhinolaryngology (ENT)", "耳鼻喉科"),
    ("DENT", "Stomatology", "口腔科"),
    ("GYN", "Gynaecology", "妇科"),
    ("LAB-BLOOD", "Blood routine", "血常规"),
    ("LAB-URINE", "Urine routine", "尿常规"),
    ("LAB-STOOL", "Stool routine", "便常规"),
    ("LAB-LIVER", "Liver function", "肝功能"),
    ("LAB-KIDNEY", "Kidney function", "肾功能"),
    ("LAB-LIPID", "Blood lipids", "血脂"),
    ("LAB-GLU", "Blood glucose", "血糖"),
    ("LAB-ELEC", "Electrolytes", "电解质"),
    ("LAB-CARDIO", "Cardiovascular risk markers", "心血管风险指标"),
    ("LAB-THYROID", "Thyroid function", "甲状腺功能"),
    ("LAB-TUMOR", "Tumour markers", "肿瘤标志物"),
    ("LAB-INFECT", "Infectious disease screening", "感染性疾病筛查"),
    ("ECG", "Electrocardiography", "心电图室"),
    ("US", "Ultrasound", "超声科"),
    ("RAD", "Radiology", "放射科"),
    ("ENDO", "Endoscopy center", "内镜中心"),
    ("FUNC", "Functional tests", "功能检查科"),
]

RESOURCES = [  # code, name_en, name_zh, default_daily_capacity
    ("CT", "CT scanner", "CT", 20),
    ("DR", "Digital radiography (X-ray)", "DR摄片", 120),
    ("US", "Ultrasound", "彩超", 60),
    ("GASTRO", "Gastroscopy", "胃镜", 8),
    ("COLONO", "Colonoscopy", "肠镜", 6),
    ("BMD", "Bone densitometer", "骨密度仪", 40),
]

# ---------------------------------------------------------------------------------------------
# Preparation notes (kept short; shown on booking confirmations)
# ---------------------------------------------------------------------------------------------
_FAST_EN = "Fast 8–12 h before the blood draw; light dinner the evening before, no alcohol."
_FAST_ZH = "空腹8–12小时，检查前一天晚上清淡饮食，禁酒。"
_US_FAST_EN = "Fast at least 8 h before the scan (no food, no milk)."
_US_FAST_ZH = "检查前空腹8小时以上，禁食、禁饮牛奶。"
_BLADDER_EN = "Full bladder: drink 500–1000 mL of water 1–2 h before and hold urine."
_BLADDER_ZH = "检查前1–2小时饮水500–1000毫升，憋尿至膀胱充盈。"
_URINE_EN = "First morning urine, midstream, in the clean container provided; women avoid menstruation."
_URINE_ZH = "留取晨起第一次中段尿于专用容器；女性避开月经期。"
_RADIATION_EN = "Remove metal objects; do not take if pregnant or planning pregnancy — tell the staff."
_RADIATION_ZH = "去除身上金属物品；怀孕或备孕者请勿检查，并提前告知医务人员。"
_BP_EN = "Sit and rest 5 min before measurement; no smoking or coffee within 30 min."
_BP_ZH = "测量前静坐休息5分钟，30分钟内勿吸烟、勿饮咖啡。"
_IOP_EN = "Remove contact lenses before the test."
_IOP_ZH = "检查前请摘除隐形眼镜。"
_GYN_EN = "Only for women with sexual history; avoid menstruation; no intercourse or douching for 48 h."
_GYN_ZH = "仅限有性生活史者；避开月经期，检查前48小时内禁止性生活及阴道冲洗。"
_GASTRO_EN = "Fast 8 h and no water 2 h before; a companion is required after sedation, no driving that day."
_GASTRO_ZH = "检查前禁食8小时、禁水2小时；无痛检查须有家属陪同，当天禁止驾车。"
_COLONO_EN = ("Low-residue diet the day before and bowel preparation as instructed; "
              "a companion is required after sedation, no driving that day.")
_COLONO_ZH = "检查前一天低渣饮食，并按要求服用泻药清洁肠道；无痛检查须有家属陪同，当天禁止驾车。"
_C13_EN = "Fast at least 2 h; no antibiotics or bismuth for 4 weeks and no PPIs for 2 weeks before."
_C13_ZH = "检查前空腹2小时以上；近4周未服用抗生素、铋剂，近2周未服用质子泵抑制剂。"
_FOBT_EN = "Avoid animal blood, red meat and iron supplements for 3 days before sampling."
_FOBT_ZH = "留样前3天避免食用动物血、红肉及铁剂。"
_BREAST_EN = "Best done 7–10 days after the start of menstruation."
_BREAST_ZH = "月经来潮后第7–10天检查为宜。"
_REST_EN = "Rest 5 min before the test; avoid strenuous exercise beforehand."
_REST_ZH = "检查前静息5分钟，避免剧烈运动。"

_CHOICE_DIP5 = "Negative|Trace|1+|2+|3+"
_CHOICE_DIP6 = "Negative|Trace|1+|2+|3+|4+"
_CHOICE_POSNEG = "Negative|Positive"

# ---------------------------------------------------------------------------------------------
# Exam items. Prices in CNY (typical private checkup-center list prices, 2024).
# ---------------------------------------------------------------------------------------------
EXAM_ITEMS = [
    # --- General examination 一般检查 ---
    dict(code="HEIGHT", name_en="Height", name_zh="身高", department="GEN",
         unit="cm", result_type="numeric", choices="", price=D("2.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="WEIGHT", name_en="Weight", name_zh="体重", department="GEN",
         unit="kg", result_type="numeric", choices="", price=D("2.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="BMI", name_en="Body mass index", name_zh="体重指数", department="GEN",
         unit="kg/m²", result_type="numeric", choices="", price=D("1.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="WAIST", name_en="Waist circumference", name_zh="腰围", department="GEN",
         unit="cm", result_type="numeric", choices="", price=D("2.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="SBP", name_en="Systolic blood pressure", name_zh="收缩压", department="GEN",
         unit="mmHg", result_type="numeric", choices="", price=D("3.00"),
         prep_note_en=_BP_EN, prep_note_zh=_BP_ZH, resource=None),
    dict(code="DBP", name_en="Diastolic blood pressure", name_zh="舒张压", department="GEN",
         unit="mmHg", result_type="numeric", choices="", price=D("2.00"),
         prep_note_en=_BP_EN, prep_note_zh=_BP_ZH, resource=None),

    # --- Internal medicine / surgery / ENT / dental 内科、外科、耳鼻喉科、口腔科 ---
    dict(code="INT-EXAM", name_en="Internal medicine examination", name_zh="内科检查", department="INT",
         unit="", result_type="text", choices="", price=D("15.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="HR", name_en="Heart rate", name_zh="心率", department="INT",
         unit="bpm", result_type="numeric", choices="", price=D("2.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="SURG-EXAM", name_en="Surgical examination", name_zh="外科检查", department="SURG",
         unit="", result_type="text", choices="", price=D("15.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="ENT-EXAM", name_en="ENT examination", name_zh="耳鼻喉科检查", department="ENT",
         unit="", result_type="text", choices="", price=D("15.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="ORAL-EXAM", name_en="Oral examination", name_zh="口腔检查", department="DENT",
         unit="", result_type="text", choices="", price=D("15.00"),
         prep_note_en="", prep_note_zh="", resource=None),

    # --- Ophthalmology 眼科 (visual acuity on the 5-point logarithmic chart, 标准对数视力表) ---
    dict(code="VA-R", name_en="Uncorrected visual acuity (right eye)", name_zh="裸眼视力（右眼）",
         department="OPH", unit="", result_type="numeric", choices="", price=D("3.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="VA-L", name_en="Uncorrected visual acuity (left eye)", name_zh="裸眼视力（左眼）",
         department="OPH", unit="", result_type="numeric", choices="", price=D("3.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="CV", name_en="Colour vision", name_zh="色觉检查", department="OPH",
         unit="", result_type="choice", choices="Normal|Colour weakness|Colour blindness", price=D("5.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="IOP-R", name_en="Intraocular pressure (right eye)", name_zh="眼压（右眼）", department="OPH",
         unit="mmHg", result_type="numeric", choices="", price=D("10.00"),
         prep_note_en=_IOP_EN, prep_note_zh=_IOP_ZH, resource=None),
    dict(code="IOP-L", name_en="Intraocular pressure (left eye)", name_zh="眼压（左眼）", department="OPH",
         unit="mmHg", result_type="numeric", choices="", price=D("10.00"),
         prep_note_en=_IOP_EN, prep_note_zh=_IOP_ZH, resource=None),
    dict(code="SLIT", name_en="Slit-lamp examination", name_zh="裂隙灯检查", department="OPH",
         unit="", result_type="text", choices="", price=D("15.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="FUNDUS", name_en="Fundus examination", name_zh="眼底检查", department="OPH",
         unit="", result_type="text", choices="", price=D("25.00"),
         prep_note_en="", prep_note_zh="", resource=None),

    # --- Gynaecology 妇科 (female only) ---
    dict(code="GYN-EXAM", name_en="Gynaecological examination", name_zh="妇科检查", department="GYN",
         unit="", result_type="text", choices="", price=D("30.00"),
         prep_note_en=_GYN_EN, prep_note_zh=_GYN_ZH, resource=None),
    dict(code="TCT", name_en="Liquid-based cervical cytology (TCT)", name_zh="宫颈液基薄层细胞学检查（TCT）",
         department="GYN", unit="", result_type="text", choices="", price=D("160.00"),
         prep_note_en=_GYN_EN, prep_note_zh=_GYN_ZH, resource=None),
    dict(code="HPV", name_en="HPV genotyping", name_zh="人乳头瘤病毒（HPV）分型检测", department="GYN",
         unit="", result_type="choice",
         choices="Negative|HPV16/18 positive|Other high-risk type positive", price=D("280.00"),
         prep_note_en=_GYN_EN, prep_note_zh=_GYN_ZH, resource=None),

    # --- Blood routine 血常规 ---
    dict(code="WBC", name_en="White blood cell count", name_zh="白细胞计数", department="LAB-BLOOD",
         unit="×10^9/L", result_type="numeric", choices="", price=D("5.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="RBC", name_en="Red blood cell count", name_zh="红细胞计数", department="LAB-BLOOD",
         unit="×10^12/L", result_type="numeric", choices="", price=D("3.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="HGB", name_en="Haemoglobin", name_zh="血红蛋白", department="LAB-BLOOD",
         unit="g/L", result_type="numeric", choices="", price=D("3.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="HCT", name_en="Haematocrit", name_zh="红细胞压积", department="LAB-BLOOD",
         unit="%", result_type="numeric", choices="", price=D("2.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="MCV", name_en="Mean corpuscular volume", name_zh="平均红细胞体积", department="LAB-BLOOD",
         unit="fL", result_type="numeric", choices="", price=D("2.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="MCH", name_en="Mean corpuscular haemoglobin", name_zh="平均红细胞血红蛋白含量",
         department="LAB-BLOOD", unit="pg", result_type="numeric", choices="", price=D("2.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="MCHC", name_en="Mean corpuscular haemoglobin concentration", name_zh="平均红细胞血红蛋白浓度",
         department="LAB-BLOOD", unit="g/L", result_type="numeric", choices="", price=D("2.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="RDW-CV", name_en="Red cell distribution width (CV)", name_zh="红细胞分布宽度-CV",
         department="LAB-BLOOD", unit="%", result_type="numeric", choices="", price=D("2.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="PLT", name_en="Platelet count", name_zh="血小板计数", department="LAB-BLOOD",
         unit="×10^9/L", result_type="numeric", choices="", price=D("3.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="NEUT-PCT", name_en="Neutrophil percentage", name_zh="中性粒细胞百分比", department="LAB-BLOOD",
         unit="%", result_type="numeric", choices="", price=D("2.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="LYMPH-PCT", name_en="Lymphocyte percentage", name_zh="淋巴细胞百分比", department="LAB-BLOOD",
         unit="%", result_type="numeric", choices="", price=D("2.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="MONO-PCT", name_en="Monocyte percentage", name_zh="单核细胞百分比", department="LAB-BLOOD",
         unit="%", result_type="numeric", choices="", price=D("2.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="EO-PCT", name_en="Eosinophil percentage", name_zh="嗜酸性粒细胞百分比", department="LAB-BLOOD",
         unit="%", result_type="numeric", choices="", price=D("2.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="BASO-PCT", name_en="Basophil percentage", name_zh="嗜碱性粒细胞百分比", department="LAB-BLOOD",
         unit="%", result_type="numeric", choices="", price=D("2.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="NEUT-ABS", name_en="Neutrophil count", name_zh="中性粒细胞绝对值", department="LAB-BLOOD",
         unit="×10^9/L", result_type="numeric", choices="", price=D("2.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="LYMPH-ABS", name_en="Lymphocyte count", name_zh="淋巴细胞绝对值", department="LAB-BLOOD",
         unit="×10^9/L", result_type="numeric", choices="", price=D("2.00"),
         prep_note_en="", prep_note_zh="", resource=None),

    # --- Urine routine 尿常规 ---
    dict(code="U-PH", name_en="Urine pH", name_zh="尿酸碱度", department="LAB-URINE",
         unit="", result_type="numeric", choices="", price=D("2.00"),
         prep_note_en=_URINE_EN, prep_note_zh=_URINE_ZH, resource=None),
    dict(code="U-SG", name_en="Urine specific gravity", name_zh="尿比重", department="LAB-URINE",
         unit="", result_type="numeric", choices="", price=D("2.00"),
         prep_note_en=_URINE_EN, prep_note_zh=_URINE_ZH, resource=None),
    dict(code="U-PRO", name_en="Urine protein", name_zh="尿蛋白", department="LAB-URINE",
         unit="", result_type="choice", choices=_CHOICE_DIP6, price=D("2.00"),
         prep_note_en=_URINE_EN, prep_note_zh=_URINE_ZH, resource=None),
    dict(code="U-GLU", name_en="Urine glucose", name_zh="尿葡萄糖", department="LAB-URINE",
         unit="", result_type="choice", choices=_CHOICE_DIP6, price=D("2.00"),
         prep_note_en=_URINE_EN, prep_note_zh=_URINE_ZH, resource=None),
    dict(code="U-BLD", name_en="Urine occult blood", name_zh="尿潜血", department="LAB-URINE",
         unit="", result_type="choice", choices=_CHOICE_DIP5, price=D("2.00"),
         prep_note_en=_URINE_EN, prep_note_zh=_URINE_ZH, resource=None),
    dict(code="U-KET", name_en="Urine ketones", name_zh="尿酮体", department="LAB-URINE",
         unit="", result_type="choice", choices=_CHOICE_DIP5, price=D("2.00"),
         prep_note_en=_URINE_EN, prep_note_zh=_URINE_ZH, resource=None),
    dict(code="U-BIL", name_en="Urine bilirubin", name_zh="尿胆红素", department="LAB-URINE",
         unit="", result_type="choice", choices="Negative|1+|2+|3+", price=D("2.00"),
         prep_note_en=_URINE_EN, prep_note_zh=_URINE_ZH, resource=None),
    dict(code="U-URO", name_en="Urobilinogen", name_zh="尿胆原", department="LAB-URINE",
         unit="", result_type="choice", choices="Normal|1+|2+|3+", price=D("2.00"),
         prep_note_en=_URINE_EN, prep_note_zh=_URINE_ZH, resource=None),
    dict(code="U-LEU", name_en="Urine leukocyte esterase", name_zh="尿白细胞酯酶", department="LAB-URINE",
         unit="", result_type="choice", choices=_CHOICE_DIP5, price=D("2.00"),
         prep_note_en=_URINE_EN, prep_note_zh=_URINE_ZH, resource=None),
    dict(code="U-NIT", name_en="Urine nitrite", name_zh="尿亚硝酸盐", department="LAB-URINE",
         unit="", result_type="choice", choices=_CHOICE_POSNEG, price=D("2.00"),
         prep_note_en=_URINE_EN, prep_note_zh=_URINE_ZH, resource=None),
    dict(code="U-RBC", name_en="Urine sediment red blood cells", name_zh="尿沉渣红细胞", department="LAB-URINE",
         unit="/HPF", result_type="numeric", choices="", price=D("4.00"),
         prep_note_en=_URINE_EN, prep_note_zh=_URINE_ZH, resource=None),
    dict(code="U-WBC", name_en="Urine sediment white blood cells", name_zh="尿沉渣白细胞", department="LAB-URINE",
         unit="/HPF", result_type="numeric", choices="", price=D("4.00"),
         prep_note_en=_URINE_EN, prep_note_zh=_URINE_ZH, resource=None),

    # --- Stool 便常规 ---
    dict(code="FOBT", name_en="Faecal occult blood test", name_zh="粪便隐血试验", department="LAB-STOOL",
         unit="", result_type="choice", choices=_CHOICE_POSNEG, price=D("20.00"),
         prep_note_en=_FOBT_EN, prep_note_zh=_FOBT_ZH, resource=None),

    # --- Liver function 肝功能 ---
    dict(code="ALT", name_en="Alanine aminotransferase", name_zh="丙氨酸氨基转移酶", department="LAB-LIVER",
         unit="U/L", result_type="numeric", choices="", price=D("6.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),
    dict(code="AST", name_en="Aspartate aminotransferase", name_zh="天门冬氨酸氨基转移酶", department="LAB-LIVER",
         unit="U/L", result_type="numeric", choices="", price=D("6.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),
    dict(code="GGT", name_en="Gamma-glutamyl transferase", name_zh="γ-谷氨酰转移酶", department="LAB-LIVER",
         unit="U/L", result_type="numeric", choices="", price=D("6.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),
    dict(code="ALP", name_en="Alkaline phosphatase", name_zh="碱性磷酸酶", department="LAB-LIVER",
         unit="U/L", result_type="numeric", choices="", price=D("6.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),
    dict(code="TBIL", name_en="Total bilirubin", name_zh="总胆红素", department="LAB-LIVER",
         unit="μmol/L", result_type="numeric", choices="", price=D("5.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),
    dict(code="DBIL", name_en="Direct bilirubin", name_zh="直接胆红素", department="LAB-LIVER",
         unit="μmol/L", result_type="numeric", choices="", price=D("5.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),
    dict(code="TP", name_en="Total protein", name_zh="总蛋白", department="LAB-LIVER",
         unit="g/L", result_type="numeric", choices="", price=D("4.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),
    dict(code="ALB", name_en="Albumin", name_zh="白蛋白", department="LAB-LIVER",
         unit="g/L", result_type="numeric", choices="", price=D("4.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),
    dict(code="GLB", name_en="Globulin", name_zh="球蛋白", department="LAB-LIVER",
         unit="g/L", result_type="numeric", choices="", price=D("2.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),

    # --- Kidney function 肾功能 ---
    dict(code="UREA", name_en="Urea", name_zh="尿素", department="LAB-KIDNEY",
         unit="mmol/L", result_type="numeric", choices="", price=D("6.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),
    dict(code="CREA", name_en="Creatinine", name_zh="肌酐", department="LAB-KIDNEY",
         unit="μmol/L", result_type="numeric", choices="", price=D("8.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),
    dict(code="UA", name_en="Uric acid", name_zh="尿酸", department="LAB-KIDNEY",
         unit="μmol/L", result_type="numeric", choices="", price=D("8.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),
    dict(code="EGFR", name_en="Estimated glomerular filtration rate", name_zh="估算肾小球滤过率",
         department="LAB-KIDNEY", unit="mL/min/1.73m²", result_type="numeric", choices="", price=D("5.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),

    # --- Lipids 血脂 ---
    dict(code="TC", name_en="Total cholesterol", name_zh="总胆固醇", department="LAB-LIPID",
         unit="mmol/L", result_type="numeric", choices="", price=D("6.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),
    dict(code="TG", name_en="Triglycerides", name_zh="甘油三酯", department="LAB-LIPID",
         unit="mmol/L", result_type="numeric", choices="", price=D("6.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),
    dict(code="HDL-C", name_en="HDL cholesterol", name_zh="高密度脂蛋白胆固醇", department="LAB-LIPID",
         unit="mmol/L", result_type="numeric", choices="", price=D("10.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),
    dict(code="LDL-C", name_en="LDL cholesterol", name_zh="低密度脂蛋白胆固醇", department="LAB-LIPID",
         unit="mmol/L", result_type="numeric", choices="", price=D("10.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),

    # --- Glucose 血糖 ---
    dict(code="FPG", name_en="Fasting plasma glucose", name_zh="空腹血糖", department="LAB-GLU",
         unit="mmol/L", result_type="numeric", choices="", price=D("6.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),
    dict(code="HBA1C", name_en="Glycated haemoglobin (HbA1c)", name_zh="糖化血红蛋白", department="LAB-GLU",
         unit="%", result_type="numeric", choices="", price=D("60.00"),
         prep_note_en="", prep_note_zh="", resource=None),

    # --- Electrolytes 电解质 ---
    dict(code="K", name_en="Potassium", name_zh="钾", department="LAB-ELEC",
         unit="mmol/L", result_type="numeric", choices="", price=D("5.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),
    dict(code="NA", name_en="Sodium", name_zh="钠", department="LAB-ELEC",
         unit="mmol/L", result_type="numeric", choices="", price=D("5.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),

    # --- Cardiovascular risk markers 心血管风险指标 ---
    dict(code="HCY", name_en="Homocysteine", name_zh="同型半胱氨酸", department="LAB-CARDIO",
         unit="μmol/L", result_type="numeric", choices="", price=D("50.00"),
         prep_note_en=_FAST_EN, prep_note_zh=_FAST_ZH, resource=None),
    dict(code="HSCRP", name_en="High-sensitivity C-reactive protein", name_zh="超敏C反应蛋白",
         department="LAB-CARDIO", unit="mg/L", result_type="numeric", choices="", price=D("30.00"),
         prep_note_en="", prep_note_zh="", resource=None),

    # --- Thyroid function 甲状腺功能 ---
    dict(code="TSH", name_en="Thyroid-stimulating hormone", name_zh="促甲状腺激素", department="LAB-THYROID",
         unit="mIU/L", result_type="numeric", choices="", price=D("45.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="FT3", name_en="Free triiodothyronine", name_zh="游离三碘甲状腺原氨酸", department="LAB-THYROID",
         unit="pmol/L", result_type="numeric", choices="", price=D("40.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="FT4", name_en="Free thyroxine", name_zh="游离甲状腺素", department="LAB-THYROID",
         unit="pmol/L", result_type="numeric", choices="", price=D("40.00"),
         prep_note_en="", prep_note_zh="", resource=None),

    # --- Tumour markers 肿瘤标志物 ---
    dict(code="AFP", name_en="Alpha-fetoprotein", name_zh="甲胎蛋白", department="LAB-TUMOR",
         unit="ng/mL", result_type="numeric", choices="", price=D("50.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="CEA", name_en="Carcinoembryonic antigen", name_zh="癌胚抗原", department="LAB-TUMOR",
         unit="ng/mL", result_type="numeric", choices="", price=D("55.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="CA19-9", name_en="Carbohydrate antigen 19-9", name_zh="糖类抗原19-9", department="LAB-TUMOR",
         unit="U/mL", result_type="numeric", choices="", price=D("80.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="CA72-4", name_en="Carbohydrate antigen 72-4", name_zh="糖类抗原72-4", department="LAB-TUMOR",
         unit="U/mL", result_type="numeric", choices="", price=D("90.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="CYFRA21-1", name_en="Cytokeratin 19 fragment (CYFRA 21-1)", name_zh="细胞角蛋白19片段",
         department="LAB-TUMOR", unit="ng/mL", result_type="numeric", choices="", price=D("90.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="NSE", name_en="Neuron-specific enolase", name_zh="神经元特异性烯醇化酶", department="LAB-TUMOR",
         unit="ng/mL", result_type="numeric", choices="", price=D("80.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="FERR", name_en="Ferritin", name_zh="铁蛋白", department="LAB-TUMOR",
         unit="ng/mL", result_type="numeric", choices="", price=D("50.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="CA125", name_en="Carbohydrate antigen 125", name_zh="糖类抗原125", department="LAB-TUMOR",
         unit="U/mL", result_type="numeric", choices="", price=D("80.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="CA15-3", name_en="Carbohydrate antigen 15-3", name_zh="糖类抗原15-3", department="LAB-TUMOR",
         unit="U/mL", result_type="numeric", choices="", price=D("80.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="TPSA", name_en="Total prostate-specific antigen", name_zh="总前列腺特异性抗原",
         department="LAB-TUMOR", unit="ng/mL", result_type="numeric", choices="", price=D("70.00"),
         prep_note_en="", prep_note_zh="", resource=None),
    dict(code="FPSA", name_en="Free prostate-specific antigen", name_zh="游离前列腺特异性抗原",
         department="LAB-TUMOR", unit="ng/mL", result_type="numeric", choices="", price=D("70.00"),
         prep_note_en="", prep_note_zh="", resource=None),

    # --- Infectious disease screening 感染性疾病筛查 ---
    dict(code="HBSAG", name_en="Hepatitis B surface antigen", name_zh="乙肝表面抗原", department="LAB-INFECT",
         unit="", result_type="choice", choices=_CHOICE_POSNEG, price=D("20.00"),
         prep_note_en="", prep_note_zh="", resource=None),

    # --- ECG 心电图 ---
    dict(code="ECG", name_en="Resting 12-lead electrocardiogram", name_zh="十二导联心电图", department="ECG",
         unit="", result_type="text", choices="", price=D("30.00"),
         prep_note_en=_REST_EN, prep_note_zh=_REST_ZH, resource=None),

    # --- Ultrasound 超声科 ---
    dict(code="US-ABD", name_en="Abdominal ultrasound (liver, gallbladder, pancreas, spleen)",
         name_zh="腹部彩超（肝、胆、胰、脾）", department="US",
         unit="", result_type="text", choices="", price=D("120.00"),
         prep_note_en=_US_FAST_EN, prep_note_zh=_US_FAST_ZH, resource="US"),
    dict(code="US-URO", name_en="Urinary tract ultrasound (kidneys, ureters, bladder)",
         name_zh="泌尿系彩超（双肾、输尿管、膀胱）", department="US",
         unit="", result_type="text", choices="", price=D("80.00"),
         prep_note_en=_BLADDER_EN, prep_note_zh=_BLADDER_ZH, resource="US"),
    dict(code="US-THY", name_en="Thyroid ultrasound", name_zh="甲状腺彩超", department="US",
         unit="", result_type="text", choices="", price=D("90.00"),
         prep_note_en="", prep_note_zh="", resource="US"),
    dict(code="US-CAROTID", name_en="Carotid artery ultrasound", name_zh="颈动脉彩超", department="US",
         unit="", result_type="text", choices="", price=D("150.00"),
         prep_note_en="", prep_note_zh="", resource="US"),
    dict(code="US-ECHO", name_en="Echocardiography", name_zh="心脏彩超", department="US",
         unit="", result_type="text", choices="", price=D("200.00"),
         prep_note_en="", prep_note_zh="", resource="US"),
    dict(code="US-BREAST", name_en="Breast ultrasound", name_zh="乳腺彩超", department="US",
         unit="", result_type="text", choices="", price=D("100.00"),
         prep_note_en=_BREAST_EN, prep_note_zh=_BREAST_ZH, resource="US"),
    dict(code="US-GYN", name_en="Pelvic ultrasound (uterus and adnexa)", name_zh="妇科彩超（子宫及附件）",
         department="US", unit="", result_type="text", choices="", price=D("100.00"),
         prep_note_en=_BLADDER_EN, prep_note_zh=_BLADDER_ZH, resource="US"),
    dict(code="US-PROS", name_en="Prostate ultrasound", name_zh="前列腺彩超", department="US",
         unit="", result_type="text", choices="", price=D("60.00"),
         prep_note_en=_BLADDER_EN, prep_note_zh=_BLADDER_ZH, resource="US"),

    # --- Radiology 放射科 ---
    dict(code="DR-CHEST", name_en="Chest X-ray (PA view, DR)", name_zh="胸部正位片（DR）", department="RAD",
         unit="", result_type="text", choices="", price=D("80.00"),
         prep_note_en=_RADIATION_EN, prep_note_zh=_RADIATION_ZH, resource="DR"),
    dict(code="CT-CHEST", name_en="Low-dose chest CT", name_zh="胸部低剂量螺旋CT", department="RAD",
         unit="", result_type="text", choices="", price=D("380.00"),
         prep_note_en=_RADIATION_EN, prep_note_zh=_RADIATION_ZH, resource="CT"),

    # --- Endoscopy 内镜中心 (sedated, price includes anaesthesia) ---
    dict(code="GASTRO", name_en="Painless gastroscopy (sedated)", name_zh="无痛胃镜检查", department="ENDO",
         unit="", result_type="text", choices="", price=D("980.00"),
         prep_note_en=_GASTRO_EN, prep_note_zh=_GASTRO_ZH, resource="GASTRO"),
    dict(code="COLONO", name_en="Painless colonoscopy (sedated)", name_zh="无痛肠镜检查", department="ENDO",
         unit="", result_type="text", choices="", price=D("1280.00"),
         prep_note_en=_COLONO_EN, prep_note_zh=_COLONO_ZH, resource="COLONO"),

    # --- Functional tests 功能检查科 ---
    dict(code="BMD", name_en="Bone mineral density (ultrasound, T-score)", name_zh="超声骨密度检测（T值）",
         department="FUNC", unit="", result_type="numeric", choices="", price=D("80.00"),
         prep_note_en="", prep_note_zh="", resource="BMD"),
    dict(code="ABI-PWV", name_en="Arterial stiffness test (ABI / baPWV)", name_zh="动脉硬化检测（ABI/PWV）",
         department="FUNC", unit="", result_type="text", choices="", price=D("120.00"),
         prep_note_en=_BP_EN, prep_note_zh=_BP_ZH, resource=None),
    dict(code="C13-UBT", name_en="13C urea breath test (H. pylori)", name_zh="碳13尿素呼气试验",
         department="FUNC", unit="", result_type="choice", choices=_CHOICE_POSNEG, price=D("150.00"),
         prep_note_en=_C13_EN, prep_note_zh=_C13_ZH, resource=None),
]

# Items that only apply to one sex (ExamItem has no sex column; packages and check() use these).
FEMALE_ONLY_ITEMS = {"GYN-EXAM", "TCT", "HPV", "CA125", "CA15-3", "US-BREAST", "US-GYN"}
MALE_ONLY_ITEMS = {"TPSA", "FPSA", "US-PROS"}
# Numeric items that deliberately have no reference range.
NO_RANGE_ITEMS = {"HEIGHT", "WEIGHT"}

# ---------------------------------------------------------------------------------------------
# Reference ranges (adults). Boundaries are inclusive. None = no limit on that side.
# ---------------------------------------------------------------------------------------------
REFERENCE_RANGES = [
    # item, sex, age_min, age_max, low, high, critical_low, critical_high
    # General examination (BMI per WS/T 428; waist per Chinese Diabetes Society central-obesity cut-offs;
    # BP per Chinese hypertension guideline; critical BP per the checkup "important abnormal results" consensus)
    ("BMI", "any", 18, 120, D("18.5"), D("23.9"), None, None),
    ("WAIST", "male", 18, 120, None, D("90"), None, None),
    ("WAIST", "female", 18, 120, None, D("85"), None, None),
    ("SBP", "any", 18, 120, D("90"), D("139"), None, D("180")),
    ("DBP", "any", 18, 120, D("60"), D("89"), None, D("110")),
    ("HR", "any", 18, 120, D("60"), D("100"), D("40"), D("150")),
    # Ophthalmology (5-point logarithmic chart: 5.0 == 1.0 decimal)
    ("VA-R", "any", 18, 120, D("5.0"), None, None, None),
    ("VA-L", "any", 18, 120, D("5.0"), None, None, None),
    ("IOP-R", "any", 18, 120, D("10"), D("21"), None, None),
    ("IOP-L", "any", 18, 120, D("10"), D("21"), None, None),
    # Blood routine (WS/T 405-2012)
    ("WBC", "any", 18, 120, D("3.5"), D("9.5"), D("1.0"), D("30.0")),
    ("RBC", "male", 18, 120, D("4.3"), D("5.8"), None, None),
    ("RBC", "female", 18, 120, D("3.8"), D("5.1"), None, None),
    ("HGB", "male", 18, 120, D("130"), D("175"), D("50"), D("200")),
    ("HGB", "female", 18, 120, D("115"), D("150"), D("50"), D("200")),
    ("HCT", "male", 18, 120, D("40"), D("50"), None, None),
    ("HCT", "female", 18, 120, D("35"), D("45"), None, None),
    ("MCV", "any", 18, 120, D("82"), D("100"), None, None),
    ("MCH", "any", 18, 120, D("27"), D("34"), None, None),
    ("MCHC", "any", 18, 120, D("316"), D("354"), None, None),
    ("RDW-CV", "any", 18, 120, D("11.5"), D("14.5"), None, None),
    ("PLT", "any", 18, 120, D("125"), D("350"), D("20"), D("1000")),
    ("NEUT-PCT", "any", 18, 120, D("40"), D("75"), None, None),
    ("LYMPH-PCT", "any", 18, 120, D("20"), D("50"), None, None),
    ("MONO-PCT", "any", 18, 120, D("3"), D("10"), None, None),
    ("EO-PCT", "any", 18, 120, D("0.4"), D("8.0"), None, None),
    ("BASO-PCT", "any", 18, 120, D("0"), D("1"), None, None),
    ("NEUT-ABS", "any", 18, 120, D("1.8"), D("6.3"), D("0.5"), None),
    ("LYMPH-ABS", "any", 18, 120, D("1.1"), D("3.2"), None, None),
    # Urine routine
    ("U-PH", "any", 18, 120, D("4.5"), D("8.0"), None, None),
    ("U-SG", "any", 18, 120, D("1.003"), D("1.030"), None, None),
    ("U-RBC", "any", 18, 120, D("0"), D("3"), None, None),
    ("U-WBC", "any", 18, 120, D("0"), D("5"), None, None),
    # Liver function (WS/T 404.1/404.2/404.4)
    ("ALT", "male", 18, 120, D("9"), D("50"), None, None),
    ("ALT", "female", 18, 120, D("7"), D("40"), None, None),
    ("AST", "male", 18, 120, D("15"), D("40"), None, None),
    ("AST", "female", 18, 120, D("13"), D("35"), None, None),
    ("GGT", "male", 18, 120, D("10"), D("60"), None, None),
    ("GGT", "female", 18, 120, D("7"), D("45"), None, None),
    ("ALP", "male", 18, 120, D("45"), D("125"), None, None),
    ("ALP", "female", 18, 49, D("35"), D("100"), None, None),
    ("ALP", "female", 50, 120, D("50"), D("135"), None, None),
    ("TBIL", "male", 18, 120, None, D("26.0"), None, None),
    ("TBIL", "female", 18, 120, None, D("21.0"), None, None),
    ("DBIL", "any", 18, 120, None, D("8.0"), None, None),
    ("TP", "any", 18, 120, D("65"), D("85"), None, None),
    ("ALB", "any", 18, 120, D("40"), D("55"), None, None),
    ("GLB", "any", 18, 120, D("20"), D("40"), None, None),
    # Kidney function (WS/T 404.5; creatinine by enzymatic method)
    ("UREA", "male", 18, 59, D("3.1"), D("8.0"), None, None),
    ("UREA", "male", 60, 120, D("3.6"), D("9.5"), None, None),
    ("UREA", "female", 18, 59, D("2.6"), D("7.5"), None, None),
    ("UREA", "female", 60, 120, D("3.1"), D("8.8"), None, None),
    ("CREA", "male", 18, 59, D("57"), D("97"), None, None),
    ("CREA", "male", 60, 120, D("57"), D("111"), None, None),
    ("CREA", "female", 18, 59, D("41"), D("73"), None, None),
    ("CREA", "female", 60, 120, D("41"), D("81"), None, None),
    ("UA", "male", 18, 120, D("208"), D("428"), None, None),
    ("UA", "female", 18, 120, D("155"), D("357"), None, None),
    ("EGFR", "any", 18, 120, D("90"), None, None, None),
    # Lipids (Chinese adult dyslipidaemia guideline, "desirable" levels)
    ("TC", "any", 18, 120, None, D("5.20"), None, None),
    ("TG", "any", 18, 120, None, D("1.70"), None, None),
    ("HDL-C", "any", 18, 120, D("1.04"), None, None, None),
    ("LDL-C", "any", 18, 120, None, D("3.40"), None, None),
    # Glucose
    ("FPG", "any", 18, 120, D("3.9"), D("6.1"), D("2.8"), D("25.0")),
    ("HBA1C", "any", 18, 120, D("4.0"), D("6.0"), None, None),
    # Electrolytes
    ("K", "any", 18, 120, D("3.5"), D("5.3"), D("2.8"), D("6.2")),
    ("NA", "any", 18, 120, D("137"), D("147"), D("120"), D("160")),
    # Cardiovascular risk markers
    ("HCY", "any", 18, 120, None, D("15.0"), None, None),
    ("HSCRP", "any", 18, 120, None, D("3.0"), None, None),
    # Thyroid function (Roche Cobas)
    ("TSH", "any", 18, 120, D("0.27"), D("4.20"), None, None),
    ("FT3", "any", 18, 120, D("3.10"), D("6.80"), None, None),
    ("FT4", "any", 18, 120, D("12.0"), D("22.0"), None, None),
    # Tumour markers (Roche Cobas upper limits)
    ("AFP", "any", 18, 120, None, D("7.0"), None, None),
    ("CEA", "any", 18, 120, None, D("5.0"), None, None),
    ("CA19-9", "any", 18, 120, None, D("27.0"), None, None),
    ("CA72-4", "any", 18, 120, None, D("6.9"), None, None),
    ("CYFRA21-1", "any", 18, 120, None, D("3.3"), None, None),
    ("NSE", "any", 18, 120, None, D("16.3"), None, None),
    ("FERR", "male", 18, 120, D("30"), D("400"), None, None),
    ("FERR", "female", 18, 120, D("13"), D("150"), None, None),
    ("CA125", "female", 18, 120, None, D("35.0"), None, None),
    ("CA15-3", "female", 18, 120, None, D("25.0"), None, None),
    ("TPSA", "male", 18, 120, None, D("4.00"), None, None),
    ("FPSA", "male", 18, 120, None, D("0.93"), None, None),
    # Bone density (WHO: T-score >= -1.0 is normal)
    ("BMD", "any", 18, 120, D("-1.0"), None, None, None),
]

# ---------------------------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------------------------
_GENERAL = ["HEIGHT", "WEIGHT", "BMI", "SBP", "DBP"]
_CLINICAL = ["INT-EXAM", "HR", "SURG-EXAM", "ENT-EXAM"]
_EYE_BASIC = ["VA-R", "VA-L"]
_EYE_FULL = ["VA-R", "VA-L", "IOP-R", "IOP-L", "SLIT", "FUNDUS"]
_BLOOD_ROUTINE = ["WBC", "RBC", "HGB", "HCT", "MCV", "MCH", "MCHC", "RDW-CV", "PLT",
                  "NEUT-PCT", "LYMPH-PCT", "MONO-PCT", "EO-PCT", "BASO-PCT", "NEUT-ABS", "LYMPH-ABS"]
_URINE_DIPSTICK = ["U-PH", "U-SG", "U-PRO", "U-GLU", "U-BLD", "U-KET", "U-BIL", "U-URO", "U-LEU", "U-NIT"]
_URINE_ROUTINE = _URINE_DIPSTICK + ["U-RBC", "U-WBC"]
_LIVER_BASIC = ["ALT", "AST", "GGT"]
_LIVER_FULL = ["ALT", "AST", "GGT", "ALP", "TBIL", "DBIL", "TP", "ALB", "GLB"]
_KIDNEY = ["UREA", "CREA", "UA"]
_KIDNEY_FULL = _KIDNEY + ["EGFR"]
_LIPIDS = ["TC", "TG", "HDL-C", "LDL-C"]
_THYROID = ["TSH", "FT3", "FT4"]
_TUMOR_COMMON = ["AFP", "CEA", "CA19-9", "CYFRA21-1"]
_TUMOR_EXTENDED = _TUMOR_COMMON + ["CA72-4", "NSE", "FERR"]

# Shared by the comprehensive packages (any / male / female variants add sex-specific items).
_COMPREHENSIVE_CORE = (
    _GENERAL + ["WAIST"] + _CLINICAL + ["ORAL-EXAM"] + _EYE_FULL + _BLOOD_ROUTINE + _URINE_ROUTINE + ["FOBT"]
    + _LIVER_FULL + _KIDNEY_FULL + _LIPIDS + ["FPG", "HBA1C", "K", "NA"] + _THYROID + _TUMOR_COMMON
    + ["HBSAG", "ECG", "US-ABD", "US-URO", "US-THY", "US-CAROTID", "DR-CHEST", "C13-UBT"]
)

PACKAGES = [
    dict(code="BASIC-M", name_en="Basic checkup (male)", name_zh="基础体检套餐（男）",
         description_en="Annual basic checkup for men: physical and clinical exams, blood and urine routine, "
                        "liver and kidney function, lipids, fasting glucose, ECG, chest X-ray, abdominal and "
                        "prostate ultrasound.",
         description_zh="男性年度基础体检：一般检查及内外科检查、血尿常规、肝肾功能、血脂、空腹血糖、心电图、"
                        "胸部正位片、腹部及前列腺彩超。",
         sex="male", age_min=18, age_max=120, price=D("399.00"),
         items=_GENERAL + _CLINICAL + _EYE_BASIC + _BLOOD_ROUTINE + _URINE_DIPSTICK + _LIVER_BASIC + _KIDNEY
               + ["TC", "TG", "FPG", "ECG", "DR-CHEST", "US-ABD", "US-PROS"]),
    dict(code="BASIC-F", name_en="Basic checkup (female)", name_zh="基础体检套餐（女）",
         description_en="Annual basic checkup for women: physical and clinical exams, blood and urine routine, "
                        "liver and kidney function, lipids, fasting glucose, ECG, chest X-ray, abdominal, "
                        "breast and pelvic ultrasound.",
         description_zh="女性年度基础体检：一般检查及内外科检查、血尿常规、肝肾功能、血脂、空腹血糖、心电图、"
                        "胸部正位片、腹部、乳腺及妇科彩超。",
         sex="female", age_min=18, age_max=120, price=D("528.00"),
         items=_GENERAL + _CLINICAL + _EYE_BASIC + _BLOOD_ROUTINE + _URINE_DIPSTICK + _LIVER_BASIC + _KIDNEY
               + ["TC", "TG", "FPG", "ECG", "DR-CHEST", "US-ABD", "US-BREAST", "US-GYN"]),
    dict(code="COMP", name_en="Comprehensive checkup", name_zh="全面体检套餐",
         description_en="Thorough checkup for both sexes: full clinical and eye exams, full blood chemistry, "
                        "HbA1c, thyroid function, common tumour markers, H. pylori breath test, ECG, chest X-ray "
                        "and abdominal, urinary, thyroid and carotid ultrasound.",
         description_zh="适合男女的全面体检：全面临床及眼科检查、全套生化、糖化血红蛋白、甲状腺功能、常见肿瘤标志物、"
                        "碳13呼气试验、心电图、胸部正位片及腹部、泌尿系、甲状腺、颈动脉彩超。",
         sex="any", age_min=18, age_max=120, price=D("1298.00"),
         items=list(_COMPREHENSIVE_CORE)),
    dict(code="COMP-M", name_en="Comprehensive checkup (male)", name_zh="男性全面体检套餐",
         description_en="The comprehensive checkup plus prostate screening: total and free PSA and "
                        "prostate ultrasound.",
         description_zh="在全面体检基础上增加前列腺筛查：总PSA、游离PSA及前列腺彩超。",
         sex="male", age_min=18, age_max=120, price=D("1468.00"),
         items=_COMPREHENSIVE_CORE + ["TPSA", "FPSA", "US-PROS"]),
    dict(code="COMP-F", name_en="Comprehensive checkup (female)", name_zh="女性全面体检套餐",
         description_en="The comprehensive checkup plus women's cancer screening: CA125, CA15-3, ferritin, "
                        "breast and pelvic ultrasound, gynaecological exam, TCT and HPV genotyping.",
         description_zh="在全面体检基础上增加女性肿瘤筛查：CA125、CA15-3、铁蛋白、乳腺彩超、妇科彩超、"
                        "妇科检查、TCT及HPV分型检测。",
         sex="female", age_min=18, age_max=120, price=D("1998.00"),
         items=_COMPREHENSIVE_CORE + ["CA125", "CA15-3", "FERR", "US-BREAST", "US-GYN", "GYN-EXAM", "TCT",
                                      "HPV"]),
    dict(code="CARDIO-40", name_en="Cardiovascular risk screening (40+)", name_zh="心脑血管风险筛查套餐（40岁以上）",
         description_en="For adults 40 and over: blood pressure, waist, lipids, glucose and HbA1c, homocysteine, "
                        "hs-CRP, kidney function, electrolytes, ECG, echocardiography, carotid ultrasound, "
                        "arterial stiffness and fundus exam.",
         description_zh="适合40岁以上人群：血压、腰围、血脂、血糖及糖化血红蛋白、同型半胱氨酸、超敏C反应蛋白、"
                        "肾功能、电解质、心电图、心脏彩超、颈动脉彩超、动脉硬化检测及眼底检查。",
         sex="any", age_min=40, age_max=120, price=D("680.00"),
         items=_GENERAL + ["WAIST", "INT-EXAM", "HR", "FUNDUS", "WBC", "RBC", "HGB", "PLT"] + _LIPIDS
               + ["FPG", "HBA1C", "HCY", "HSCRP"] + _KIDNEY_FULL + ["K", "NA", "ECG", "US-ECHO", "US-CAROTID",
                                                                   "ABI-PWV"]),
    dict(code="EXEC", name_en="Executive checkup", name_zh="高端精英体检套餐",
         description_en="Premium checkup: everything in the comprehensive checkup, with low-dose chest CT "
                        "instead of X-ray, painless gastroscopy and colonoscopy, echocardiography, extended "
                        "tumour markers, cardiovascular markers, arterial stiffness and bone density.",
         description_zh="高端体检：包含全面体检全部项目，胸部低剂量螺旋CT替代胸片，增加无痛胃肠镜、心脏彩超、"
                        "扩展肿瘤标志物、心血管风险指标、动脉硬化检测及骨密度检测。",
         sex="any", age_min=30, age_max=120, price=D("4380.00"),
         items=[c for c in _COMPREHENSIVE_CORE if c != "DR-CHEST"]
               + ["CT-CHEST", "GASTRO", "COLONO", "US-ECHO", "CA72-4", "NSE", "FERR", "HCY", "HSCRP",
                  "ABI-PWV", "BMD"]),
    dict(code="PRE-EMP", name_en="Pre-employment checkup", name_zh="入职体检套餐",
         description_en="Standard pre-employment checkup: physical, clinical, vision and colour vision, ENT, "
                        "blood routine, urine routine, ALT, chest X-ray and ECG.",
         description_zh="标准入职体检：一般检查、内外科、视力及色觉、耳鼻喉科、血常规、尿常规、"
                        "丙氨酸氨基转移酶、胸部正位片及心电图。",
         sex="any", age_min=18, age_max=120, price=D("168.00"),
         items=_GENERAL + ["INT-EXAM", "SURG-EXAM", "ENT-EXAM"] + _EYE_BASIC + ["CV"] + _BLOOD_ROUTINE
               + _URINE_DIPSTICK + ["ALT", "DR-CHEST", "ECG"]),
]

# ---------------------------------------------------------------------------------------------
# Organizations (corporate customers) and demo clients
# ---------------------------------------------------------------------------------------------
ORGANIZATIONS = [
    dict(name="Acme Manufacturing",
         address="上海市闵行区莘庄工业区春东路508号", phone="021-5888 1234", fax="021-5888 1235",
         website="https://acme.example.com", email="acme.hr@example.com", manager="张建国",
         business_scope="Precision machinery and auto-parts manufacturing; assembly lines in three plants.",
         employee_count=2400, health_contact="刘芳（人事部）",
         relationship_notes="Annual group checkup every April–May since 2019; night-shift and noise-exposed "
                            "workers also get occupational checkups. Invoices monthly, 30-day terms.",
         size_tier="large", value_tier="vip", account_manager="陈晓燕"),
    dict(name="Huaxin Logistics Co., Ltd.",
         address="上海市嘉定区华江路1188号", phone="021-6952 3300", fax="021-6952 3301",
         website="https://huaxin-logistics.example.com", email="huaxin.hr@example.com", manager="李志强",
         business_scope="Road freight, warehousing and cold-chain distribution in the Yangtze River Delta.",
         employee_count=560, health_contact="王丽（行政部）",
         relationship_notes="Drivers need a pre-employment checkup before hiring; managers take the "
                            "comprehensive package in autumn. Price-sensitive, asks for quotes each year.",
         size_tier="medium", value_tier="important", account_manager="陈晓燕"),
    dict(name="Bluebay Software Studio",
         address="上海市徐汇区漕河泾开发区宜山路700号B2栋12楼", phone="021-6485 7720", fax="021-6485 7721",
         website="https://bluebay.example.com", email="bluebay.office@example.com", manager="周宇",
         business_scope="Custom software development and IT consulting.",
         employee_count=45, health_contact="孙倩（办公室）",
         relationship_notes="First contract signed 2024; staff book individually within a yearly budget.",
         size_tier="small", value_tier="general", account_manager="赵磊"),
]

CLIENTS = [
    dict(name="王伟", sex="male", birth_date="1978-03-14", phone="13800138001", email="wang.wei@example.com",
         address="上海市闵行区莘松路318弄12号602室", occupation="Engineer", organization="Acme Manufacturing",
         employee_no="A0001", department="Engineering", value_tier="general", tags=["smoker"]),
    dict(name="李娜", sex="female", birth_date="1985-07-22", phone="13800138002", email="li.na@example.com",
         address="上海市闵行区七莘路1500弄5号301室", occupation="Accountant", organization="Acme Manufacturing",
         employee_no="A0002", department="Finance", value_tier="general", tags=["thyroid-nodule-follow-up"]),
    dict(name="张强", sex="male", birth_date="1969-11-05", phone="13800138003", email="zhang.qiang@example.com",
         address="上海市松江区新松江路888弄20号1101室", occupation="Plant manager",
         organization="Acme Manufacturing", employee_no="A0003", department="Production", value_tier="vip",
         tags=["hypertension", "drinker"]),
    dict(name="刘洋", sex="male", birth_date="1996-01-30", phone="13900139004", email="liu.yang@example.com",
         address="上海市闵行区都市路4855弄8号402室", occupation="Assembly worker", organization="Acme Manufacturing",
         employee_no="A0158", department="Assembly", value_tier="general", tags=["night-shift"]),
    dict(name="陈静", sex="female", birth_date="1973-09-18", phone="13700137005", email="chen.jing@example.com",
         address="上海市闵行区沪闵路6088号3号楼1502室", occupation="HR manager", organization="Acme Manufacturing",
         employee_no="A0021", department="Human Resources", value_tier="important",
         tags=["family-history-breast-cancer"]),
    dict(name="杨帆", sex="male", birth_date="1988-04-09", phone="15000150006", email="yang.fan@example.com",
         address="上海市嘉定区曹安公路4800弄6号201室", occupation="Truck driver",
         organization="Huaxin Logistics Co., Ltd.", employee_no="HX-2031", department="Transport",
         value_tier="general", tags=["smoker", "overweight"]),
    dict(name="赵敏", sex="female", birth_date="1991-12-02", phone="15800158007", email="zhao.min@example.com",
         address="上海市嘉定区博乐路99弄3号502室", occupation="Dispatcher",
         organization="Huaxin Logistics Co., Ltd.", employee_no="HX-1187", department="Operations",
         value_tier="general", tags=["pregnancy-planning"]),
    dict(name="黄磊", sex="male", birth_date="1965-06-27", phone="18600186008", email="huang.lei@example.com",
         address="上海市嘉定区清河路128弄15号901室", occupation="General manager",
         organization="Huaxin Logistics Co., Ltd.", employee_no="HX-0001", department="Management",
         value_tier="vip", tags=["diabetes", "hyperlipidaemia"]),
    dict(name="周婷", sex="female", birth_date="1994-08-15", phone="18800188009", email="zhou.ting@example.com",
         address="上海市徐汇区钦州路100弄2号1203室", occupation="Software developer",
         organization="Bluebay Software Studio", employee_no="BB-017", department="Development",
         value_tier="general", tags=[]),
    dict(name="吴建华", sex="male", birth_date="1956-02-11", phone="13600136010", email="wu.jianhua@example.com",
         address="上海市静安区万航渡路767弄9号401室", occupation="Retired teacher", organization=None,
         employee_no="", department="", value_tier="important",
         tags=["hypertension", "family-history-colorectal-cancer"]),
    dict(name="徐丽华", sex="female", birth_date="1962-05-03", phone="13500135011", email="xu.lihua@example.com",
         address="上海市长宁区天山路1800弄4号602室", occupation="Retired", organization=None,
         employee_no="", department="", value_tier="general", tags=["osteoporosis-follow-up"]),
    dict(name="孙浩然", sex="male", birth_date="1982-10-19", phone="18900189012", email="sun.haoran@example.com",
         address="上海市浦东新区张杨路1515弄7号2001室", occupation="Business owner", organization=None,
         employee_no="", department="", value_tier="vip", tags=["drinker", "fatty-liver"]),
]
