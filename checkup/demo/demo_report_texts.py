"""Demo data: the wording of the generated reports (advice per finding group, Chinese findings, flags).

A Chinese client's report is Chinese only: the demo's text results read in Chinese through
``in_language`` (every English wording the demo enters has its Chinese here), and summaries and advice
written in both languages, one line each, show only the client's lines (services/exam/report_pdf).
"""

ADVICE = [  # (item codes, advice en, advice zh): one paragraph per group with an abnormal result
    (
        {"SBP", "DBP"},
        "Blood pressure is raised: cut down on salt, keep a healthy weight, measure it at home for two "
        "weeks and see a cardiologist if it stays at or above 140/90 mmHg.",
        "血压偏高：低盐饮食，控制体重，居家监测血压两周，如持续≥140/90 mmHg请到心内科就诊。",
    ),
    (
        {"TC", "TG", "LDL-C", "HDL-C"},
        "Blood lipids are abnormal: eat less fat, fried food and sugar, exercise "
        "150 minutes a week and recheck lipids in 3–6 months.",
        "血脂异常：少吃油腻、油炸及甜食，每周运动150分钟，3–6个月后复查血脂。",
    ),
    (
        {"ALT", "AST", "GGT", "US-ABD"},
        "Liver tests or ultrasound are abnormal: avoid alcohol, lose weight if "
        "overweight and recheck liver function in 3 months.",
        "肝功能或腹部超声异常：戒酒，超重者减重，3个月后复查肝功能。",
    ),
    (
        {"FPG", "HBA1C", "U-GLU"},
        "Blood glucose is raised: limit sugar and refined carbohydrates and have an oral "
        "glucose tolerance test at the endocrinology clinic.",
        "血糖偏高：控制糖及精制碳水摄入，建议到内分泌科行口服葡萄糖耐量试验。",
    ),
    (
        {"UA"},
        "Uric acid is raised: drink plenty of water and limit seafood, offal and beer.",
        "尿酸偏高：多饮水，少吃海鲜、动物内脏，限制啤酒。",
    ),
    (
        {"BMI", "WAIST"},
        "Body weight is above the healthy range: aim to lose 5 % of your weight over six months.",
        "体重超出健康范围：建议半年内减重5%。",
    ),
    (
        {"US-THY", "US-BREAST", "US-GYN", "US-URO", "US-CAROTID", "US-PROS", "DR-CHEST"},
        "An imaging finding needs watching: repeat the ultrasound or X-ray in 6–12 months, sooner if symptoms appear.",
        "影像学检查发现异常：6–12个月后复查，如有不适及时就诊。",
    ),
]
GENERAL_ADVICE = (
    "Keep a balanced diet and regular exercise, and come back for your annual checkup next year.\n"
    "保持均衡饮食和规律运动，明年按时体检。"
)
OTHER_ADVICE = (
    "Recheck the other abnormal results in 3 months, or see a doctor sooner if you have symptoms.\n"
    "其他异常结果建议3个月后复查，如有不适及时就诊。"
)
# the Chinese wording of the abnormal text and choice results above, for the summary's Chinese half
FINDINGS_ZH = {
    "Grade 2/6 systolic murmur at the apex.": "心尖部2/6级收缩期杂音",
    "Varicose veins of the left lower leg.": "左下肢静脉曲张",
    "Chronic pharyngitis.": "慢性咽炎",
    "Dental calculus; gingivitis.": "牙结石，牙龈炎",
    "Pinguecula, right eye.": "右眼睑裂斑",
    "Retinal arteriosclerosis, grade I.": "视网膜动脉硬化I级",
    "Sinus bradycardia.": "窦性心动过缓",
    "Incomplete right bundle branch block.": "不完全性右束支传导阻滞",
    "Small calcified nodule in the right upper lobe, likely old lesion.": "右上肺小钙化结节，考虑陈旧性病灶",
    "Mild fatty liver.": "轻度脂肪肝",
    "Gallbladder polyp, 4 mm.": "胆囊息肉（4 mm）",
    "Hepatic cyst, 8 mm.": "肝囊肿（8 mm）",
    "Small left renal cyst.": "左肾小囊肿",
    "Right kidney stone, 5 mm.": "右肾结石（5 mm）",
    "Thyroid nodule, right lobe, 6 mm (TI-RADS 3).": "甲状腺右叶结节（6 mm，TI-RADS 3类）",
    "Small plaque at the left carotid bifurcation.": "左颈动脉分叉处小斑块",
    "Bilateral breast hyperplasia.": "双侧乳腺增生",
    "Left breast nodule (BI-RADS 3).": "左乳结节（BI-RADS 3类）",
    "Uterine fibroid, 15 mm.": "子宫肌瘤（15 mm）",
    "Mild prostatic hyperplasia.": "前列腺轻度增生",
    "Cervical erosion (ectropion).": "宫颈柱状上皮异位",
    "Atypical squamous cells of undetermined significance (ASC-US).": "意义不明的非典型鳞状细胞（ASC-US）",
    "Positive": "阳性",
    "Trace": "弱阳性",
    "Colour weakness": "色弱",
    "Other high-risk type positive": "其他高危型阳性",
}
FLAG_WORDS = {
    "H": ("high", "偏高"),
    "L": ("low", "偏低"),
    "A": ("abnormal", "异常"),
    "HH": ("critically high", "危急值"),
    "LL": ("critically low", "危急值"),
}
# the Chinese wording of the normal text results the demo enters (the abnormal ones: FINDINGS_ZH)
NORMAL_TEXTS_ZH = {
    "No abnormality found.": "未见明显异常",
    "Heart and lungs normal on auscultation; abdomen soft, liver and spleen not palpable.": (
        "心肺听诊未见异常，腹软，肝脾肋下未触及。"
    ),
    "No abnormality of skin, lymph nodes, thyroid, spine or limbs.": "皮肤、浅表淋巴结、甲状腺、脊柱四肢未见异常。",
    "Ears, nose and throat normal.": "耳鼻咽喉未见异常。",
    "Teeth and gums healthy.": "牙齿及牙龈未见异常。",
    "Cornea clear, lens transparent.": "角膜透明，晶状体透明。",
    "Optic disc and retina normal.": "视盘及视网膜未见异常。",
    "Sinus rhythm, normal ECG.": "窦性心律，正常心电图。",
    "No abnormality in heart, lungs or diaphragm.": "心、肺、膈未见异常。",
    "Liver, gallbladder, pancreas and spleen normal.": "肝、胆、胰、脾未见异常。",
    "Kidneys, ureters and bladder normal.": "双肾、输尿管及膀胱未见异常。",
    "Thyroid normal in size and echo.": "甲状腺大小及回声未见异常。",
    "Carotid intima-media thickness normal, no plaque.": "颈动脉内中膜厚度正常，未见斑块。",
    "Both breasts normal.": "双乳未见异常。",
    "Uterus and ovaries normal.": "子宫及双附件未见异常。",
    "Prostate normal in size.": "前列腺大小正常。",
    "Negative for intraepithelial lesion or malignancy (NILM).": "未见上皮内病变或恶性病变（NILM）。",
    "Liver echo slightly increased; mild fatty liver.": "肝脏回声稍增强，轻度脂肪肝。",
    "Negative": "阴性",
    "Normal": "正常",
}


def in_language(text, language):
    """The demo's wording of a text result in ``language`` ("zh" or "en"): its Chinese for "zh" when the
    demo has one, else the text as it is. The demo enters a Chinese client's text results with this."""
    if language != "zh":
        return text
    return NORMAL_TEXTS_ZH.get(text) or FINDINGS_ZH.get(text) or text
