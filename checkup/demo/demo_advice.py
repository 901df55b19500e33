"""Demo: the advice library a chief physician (主检医师) of a Chinese checkup center works from, and today's station
conclusions signed by the station doctors (so the chief physician's queue has a checkup in it).

Each entry: which abnormal result it answers (item, flag, a choice or keywords, a value band, sex, age), the
finding as the summary conclusion names it, the advice with lifestyle and when to re-check, and the follow-up
level (A: act now, B: further examination needed, C: lifestyle and re-check, "": no follow-up), after the Chinese
expert consensus on managing important abnormal checkup results (健康体检重要异常结果管理专家共识, 2019).
"""

from decimal import Decimal

from checkup.core.audit import Actor
from checkup.core.errors import DomainError
from checkup.models import AdviceRule, Appointment, AppointmentItem, ExamItem
from checkup.models.appointments import CHECKED_IN
from checkup.models.base import db
from checkup.services.exam import advice, station_conclusions

D = Decimal


def rule(item, flag, finding_zh, finding_en, advice_zh, advice_en, level="C", match="", low=None, high=None, **extra):
    """One library entry; ``low``/``high`` the value band [low, high)."""
    return dict(
        item_code=item,
        flag=flag,
        match_text=match,
        value_min=D(low) if low is not None else None,
        value_max=D(high) if high is not None else None,
        finding_zh=finding_zh,
        finding_en=finding_en,
        advice_zh=advice_zh,
        advice_en=advice_en,
        level=level,
        sex=extra.get("sex", "any"),
        age_min=extra.get("age_min", 0),
        age_max=extra.get("age_max", 120),
        priority=extra.get("priority", 0),
    )


LIBRARY = [
    # --- 一般检查 body measures and blood pressure ---
    rule(
        "BMI",
        "H",
        "超重",
        "Overweight",
        "控制总热量，减少油炸食品、甜食及含糖饮料，每周至少150分钟中等强度有氧运动，目标半年内体重下降5%，"
        "BMI控制在24以下；每年复查体重、血脂、血糖。",
        "Cut total calories, fried food, sweets and sugary drinks; do at least 150 minutes of moderate aerobic "
        "exercise a week and aim to lose 5 % of your weight in six months (BMI below 24). Recheck weight, lipids "
        "and glucose every year.",
        low="24",
        high="28",
    ),
    rule(
        "BMI",
        "H",
        "肥胖",
        "Obesity",
        "肥胖是高血压、糖尿病、脂肪肝及心脑血管病的危险因素。建议低热量平衡膳食，每日主食定量，"
        "每周运动不少于150–300分钟；3个月后复查体重、腰围、血糖及血脂，必要时到营养科或内分泌科减重门诊就诊。",
        "Obesity raises the risk of hypertension, diabetes, fatty liver and cardiovascular disease. Follow a "
        "low-calorie balanced diet with measured staple food and exercise 150–300 minutes a week; recheck weight, "
        "waist, glucose and lipids in 3 months and see a nutrition or endocrinology weight clinic if needed.",
        level="B",
        low="28",
    ),
    rule(
        "BMI",
        "L",
        "体重过低",
        "Underweight",
        "保证三餐规律，适当增加优质蛋白（蛋、奶、瘦肉、豆制品）和能量摄入，配合抗阻运动；"
        "如近期体重明显下降，请到消化科或内分泌科就诊查明原因；3–6个月后复查体重。",
        "Eat three regular meals with enough energy and good protein (eggs, milk, lean meat, soy) and add "
        "resistance exercise; if you have lost weight recently, see gastroenterology or endocrinology to find out why.",
    ),
    rule(
        "WAIST",
        "H",
        "中心性肥胖",
        "Central obesity",
        "腰围超标提示腹部脂肪堆积，与胰岛素抵抗、脂肪肝关系密切。建议减少精制碳水和饮酒，坚持有氧运动加核心训练，"
        "目标男性腰围<90 cm、女性<85 cm；每年复查血糖、血脂。",
        "A large waist means abdominal fat, closely linked to insulin resistance and fatty liver. Cut refined "
        "carbohydrates and alcohol, keep up aerobic and core exercise, aim for a waist under 90 cm (men) or 85 cm "
        "(women) and recheck glucose and lipids every year.",
    ),
    rule(
        "SBP",
        "H",
        "血压升高",
        "Elevated blood pressure",
        "本次血压高于正常。建议低盐饮食（每日食盐<5 g），戒烟限酒，控制体重，规律作息；"
        "非同日居家或诊室复测血压3次，如均≥140/90 mmHg，请到心内科就诊明确是否为高血压。",
        "Your blood pressure was above normal. Keep salt under 5 g a day, stop smoking, limit alcohol, control "
        "your weight and sleep regularly; measure it on three different days at home or in a clinic and see a "
        "cardiologist if it stays at or above 140/90 mmHg.",
        high="160",
    ),
    rule(
        "DBP",
        "H",
        "血压升高",
        "Elevated blood pressure",
        "本次血压高于正常。建议低盐饮食（每日食盐<5 g），戒烟限酒，控制体重，规律作息；"
        "非同日居家或诊室复测血压3次，如均≥140/90 mmHg，请到心内科就诊明确是否为高血压。",
        "Your blood pressure was above normal. Keep salt under 5 g a day, stop smoking, limit alcohol, control "
        "your weight and sleep regularly; measure it on three different days at home or in a clinic and see a "
        "cardiologist if it stays at or above 140/90 mmHg.",
        high="100",
    ),
    rule(
        "SBP",
        "H",
        "血压明显升高",
        "Markedly elevated blood pressure",
        "血压已达2级高血压水平，心脑血管风险明显增加。请1周内到心内科就诊，评估靶器官损害并遵医嘱用药，"
        "已服降压药者请复诊调整方案；出现头痛、胸闷、视物模糊时立即就医。",
        "Your blood pressure is at grade 2 hypertension level. See a cardiologist within a week to check for "
        "organ damage and start or adjust treatment; go to a hospital at once if you have headache, chest "
        "tightness or blurred vision.",
        level="B",
        low="160",
    ),
    rule(
        "DBP",
        "H",
        "血压明显升高",
        "Markedly elevated blood pressure",
        "血压已达2级高血压水平，心脑血管风险明显增加。请1周内到心内科就诊，评估靶器官损害并遵医嘱用药，"
        "已服降压药者请复诊调整方案；出现头痛、胸闷、视物模糊时立即就医。",
        "Your blood pressure is at grade 2 hypertension level. See a cardiologist within a week to check for "
        "organ damage and start or adjust treatment; go to a hospital at once if you have headache, chest "
        "tightness or blurred vision.",
        level="B",
        low="100",
    ),
    rule(
        "SBP",
        "L",
        "血压偏低",
        "Low blood pressure",
        "如无头晕、乏力等不适，多为体质性低血压，无需特殊处理；注意起身动作放缓，适当增加饮水和营养。",
        "Without dizziness or fatigue this is usually constitutional and needs no treatment; stand up slowly, "
        "drink enough and eat regularly.",
        level="",
    ),
    rule(
        "HR",
        "H",
        "心率偏快",
        "Fast heart rate",
        "静息心率偏快，可能与紧张、饮咖啡或浓茶、贫血、甲亢等有关。建议放松后复测，避免浓茶咖啡；"
        "如持续>100次/分或伴心悸，请到心内科就诊并查甲状腺功能。",
        "A fast resting heart rate can come from stress, coffee or strong tea, anaemia or an overactive thyroid. "
        "Measure it again at rest; if it stays above 100/min or you have palpitations, see a cardiologist and have "
        "your thyroid checked.",
    ),
    rule(
        "HR",
        "L",
        "心率偏慢",
        "Slow heart rate",
        "经常运动者心率偏慢多属生理现象。如伴头晕、黑矇、乏力，请到心内科就诊，必要时行动态心电图检查。",
        "A slow heart rate is often normal in people who exercise. If you feel dizzy, faint or tired, see a "
        "cardiologist; a 24-hour Holter ECG may be needed.",
        level="",
    ),
    # --- 血脂 blood lipids ---
    rule(
        "TC",
        "H",
        "血清总胆固醇边缘升高",
        "Borderline high total cholesterol",
        "减少动物内脏、肥肉、蛋黄等高胆固醇食物，多吃蔬菜、粗粮和豆类，每周运动150分钟；3–6个月后复查血脂。",
        "Eat less offal, fatty meat and egg yolk, more vegetables, whole grains and beans, and exercise 150 minutes "
        "a week; recheck lipids in 3–6 months.",
        high="6.2",
    ),
    rule(
        "TC",
        "H",
        "高胆固醇血症",
        "Hypercholesterolaemia",
        "总胆固醇明显升高，是动脉粥样硬化的重要危险因素。严格低脂低胆固醇饮食，戒烟，规律运动；"
        "建议1个月内到心内科评估心血管风险，决定是否启动他汀类药物治疗，3个月后复查血脂。",
        "Total cholesterol is clearly high, a major risk factor for atherosclerosis. Keep to a low-fat, "
        "low-cholesterol diet, stop smoking and exercise regularly; see a cardiologist within a month to assess "
        "your cardiovascular risk and whether to start a statin, and recheck lipids in 3 months.",
        level="B",
        low="6.2",
    ),
    rule(
        "TG",
        "H",
        "高甘油三酯血症",
        "Hypertriglyceridaemia",
        "甘油三酯升高与饮酒、甜食及精制主食过多关系密切。建议戒酒，少吃甜食、油炸食品和精米白面，"
        "增加运动并控制体重；3个月后空腹复查血脂。",
        "High triglycerides are closely linked to alcohol, sweets and refined staple food. Stop drinking, eat fewer "
        "sweets, fried food and white rice or flour, exercise more and control your weight; recheck fasting lipids "
        "in 3 months.",
        high="5.6",
    ),
    rule(
        "TG",
        "H",
        "重度高甘油三酯血症",
        "Severe hypertriglyceridaemia",
        "甘油三酯≥5.6 mmol/L，有诱发急性胰腺炎的风险。请严格戒酒、避免暴饮暴食，1周内到内分泌科或心内科就诊，"
        "通常需要药物降脂；如出现剧烈腹痛请立即就医。",
        "Triglycerides at or above 5.6 mmol/L can cause acute pancreatitis. Stop alcohol completely, avoid large "
        "meals and see endocrinology or cardiology within a week (medication is usually needed); go to hospital at "
        "once with severe abdominal pain.",
        level="B",
        low="5.6",
    ),
    rule(
        "LDL-C",
        "H",
        "低密度脂蛋白胆固醇升高",
        "Raised LDL cholesterol",
        "低密度脂蛋白胆固醇（“坏胆固醇”）升高。减少饱和脂肪（肥肉、黄油、棕榈油）摄入，增加膳食纤维，戒烟，"
        "规律运动；3–6个月后复查，合并高血压、糖尿病者请到心内科评估是否需要药物治疗。",
        "LDL ('bad') cholesterol is raised. Eat less saturated fat (fatty meat, butter, palm oil), more fibre, stop "
        "smoking and exercise regularly; recheck in 3–6 months, and with hypertension or diabetes see a "
        "cardiologist about medication.",
        high="4.9",
    ),
    rule(
        "LDL-C",
        "H",
        "低密度脂蛋白胆固醇明显升高",
        "Markedly raised LDL cholesterol",
        "LDL-C≥4.9 mmol/L，需警惕家族性高胆固醇血症。请1个月内到心内科就诊，一般需启动他汀类药物治疗，"
        "并建议直系亲属筛查血脂。",
        "LDL cholesterol at or above 4.9 mmol/L may be familial hypercholesterolaemia. See a cardiologist within a "
        "month (a statin is usually needed) and ask close relatives to have their lipids checked.",
        level="B",
        low="4.9",
    ),
    rule(
        "HDL-C",
        "L",
        "高密度脂蛋白胆固醇偏低",
        "Low HDL cholesterol",
        "高密度脂蛋白（“好胆固醇”）偏低。建议戒烟，坚持有氧运动，减重，用橄榄油、坚果等替代部分动物脂肪；"
        "6个月后复查血脂。",
        "HDL ('good') cholesterol is low. Stop smoking, keep up aerobic exercise, lose weight and replace some animal "
        "fat with olive oil and nuts; recheck lipids in 6 months.",
    ),
    # --- 血糖 glucose ---
    rule(
        "FPG",
        "H",
        "空腹血糖受损",
        "Impaired fasting glucose",
        "空腹血糖在6.1–6.9 mmol/L之间，属糖尿病前期。控制主食和甜食，增加粗粮和蔬菜，每周运动150分钟以上，"
        "超重者减重5%–7%；建议1个月内到内分泌科行口服葡萄糖耐量试验（OGTT），之后每半年复查血糖。",
        "Fasting glucose of 6.1–6.9 mmol/L is prediabetes. Limit staple food and sweets, eat more whole grains and "
        "vegetables, exercise over 150 minutes a week and lose 5–7 % of your weight if overweight; have an oral "
        "glucose tolerance test at endocrinology within a month, then recheck glucose every 6 months.",
        high="7.0",
    ),
    rule(
        "FPG",
        "H",
        "空腹血糖达糖尿病诊断水平",
        "Fasting glucose in the diabetes range",
        "空腹血糖≥7.0 mmol/L，已达糖尿病诊断标准（需非同日复查确认）。请1–2周内到内分泌科就诊，复查空腹血糖、"
        "糖化血红蛋白，明确诊断并制定治疗方案；控制饮食，避免含糖饮料。",
        "Fasting glucose at or above 7.0 mmol/L meets the diabetes threshold (to be confirmed on another day). See "
        "endocrinology within 1–2 weeks to repeat fasting glucose and HbA1c and agree a treatment plan; control your "
        "diet and avoid sugary drinks.",
        level="B",
        low="7.0",
    ),
    rule(
        "FPG",
        "L",
        "空腹血糖偏低",
        "Low fasting glucose",
        "可能与空腹时间过长有关。建议规律进餐，如经常出现心慌、出汗、手抖等低血糖症状，请到内分泌科就诊。",
        "This can come from a long fast. Eat regular meals; if you often feel palpitations, sweating or shaking, "
        "see endocrinology.",
    ),
    rule(
        "HBA1C",
        "H",
        "糖化血红蛋白偏高（糖尿病前期）",
        "Raised HbA1c (prediabetes)",
        "糖化血红蛋白反映近2–3个月平均血糖，目前处于糖尿病前期。建议控制饮食总量和精制碳水，坚持运动，"
        "6个月后复查糖化血红蛋白及空腹血糖。",
        "HbA1c shows your average glucose over 2–3 months and is in the prediabetes range. Control portions and "
        "refined carbohydrates, keep exercising and recheck HbA1c and fasting glucose in 6 months.",
        high="6.5",
    ),
    rule(
        "HBA1C",
        "H",
        "糖化血红蛋白达糖尿病诊断水平",
        "HbA1c in the diabetes range",
        "糖化血红蛋白≥6.5%，提示糖尿病可能性大。请1–2周内到内分泌科就诊明确诊断，并筛查眼底、肾脏等并发症。",
        "HbA1c at or above 6.5 % points to diabetes. See endocrinology within 1–2 weeks to confirm it and screen for "
        "eye and kidney complications.",
        level="B",
        low="6.5",
    ),
    rule(
        "U-GLU",
        "A",
        "尿糖阳性",
        "Glucose in the urine",
        "尿糖阳性需结合血糖判断。建议复查空腹血糖及糖化血红蛋白，血糖正常者可能为肾性糖尿，必要时到内分泌科就诊。",
        "Urine glucose must be read with blood glucose: recheck fasting glucose and HbA1c; with normal blood "
        "glucose it may be renal glycosuria — see endocrinology if needed.",
    ),
    # --- 尿酸 uric acid ---
    rule(
        "UA",
        "H",
        "高尿酸血症",
        "Hyperuricaemia",
        "少吃动物内脏、海鲜、浓肉汤，戒啤酒和含糖饮料，每日饮水2000 ml以上，控制体重；3个月后复查血尿酸。"
        "如出现关节红肿热痛，请到风湿免疫科就诊。",
        "Eat less offal, seafood and meat broth, give up beer and sugary drinks, drink over 2 litres of water a day "
        "and control your weight; recheck uric acid in 3 months and see rheumatology if a joint becomes red, hot "
        "and painful.",
        high="540",
    ),
    rule(
        "UA",
        "H",
        "高尿酸血症（明显升高）",
        "Marked hyperuricaemia",
        "血尿酸≥540 μmol/L，痛风及肾损害风险明显增加。除低嘌呤饮食、多饮水外，请1个月内到风湿免疫科或内分泌科"
        "就诊评估是否需要降尿酸药物治疗。",
        "Uric acid at or above 540 μmol/L clearly raises the risk of gout and kidney damage. Besides a low-purine "
        "diet and plenty of water, see rheumatology or endocrinology within a month about urate-lowering treatment.",
        level="B",
        low="540",
    ),
    # --- 肝功能 liver ---
    rule(
        "ALT",
        "H",
        "丙氨酸氨基转移酶轻度升高",
        "Mildly raised ALT",
        "转氨酶轻度升高，常见于脂肪肝、饮酒、熬夜或服用某些药物。建议戒酒、避免熬夜，慎用保健品及损肝药物，"
        "超重者减重；1–3个月后复查肝功能。",
        "A mildly raised ALT is common with fatty liver, alcohol, late nights or some medicines. Stop drinking, "
        "sleep regularly, avoid supplements and liver-toxic medicines, lose weight if overweight, and recheck liver "
        "function in 1–3 months.",
        high="120",
    ),
    rule(
        "ALT",
        "H",
        "丙氨酸氨基转移酶明显升高",
        "Markedly raised ALT",
        "转氨酶超过正常上限3倍，提示肝细胞损伤明显。请1–2周内到消化科或肝病科就诊，查肝炎病毒标志物及肝脏影像，"
        "期间禁酒、停用非必需药物。",
        "ALT over three times the upper limit means clear liver-cell injury. See gastroenterology or hepatology "
        "within 1–2 weeks for hepatitis markers and liver imaging; avoid alcohol and unnecessary medicines meanwhile.",
        level="B",
        low="120",
    ),
    rule(
        "AST",
        "H",
        "天门冬氨酸氨基转移酶升高",
        "Raised AST",
        "AST升高可见于肝脏疾病、饮酒及剧烈运动后。建议体检前避免剧烈运动，戒酒，1–3个月后复查肝功能。",
        "A raised AST is seen with liver disease, alcohol and after hard exercise. Avoid hard exercise before tests, "
        "stop drinking and recheck liver function in 1–3 months.",
    ),
    rule(
        "GGT",
        "H",
        "γ-谷氨酰转移酶升高",
        "Raised GGT",
        "GGT升高与饮酒、脂肪肝及胆道疾病关系密切。建议戒酒，低脂饮食，3个月后复查肝功能，必要时行腹部彩超检查。",
        "A raised GGT is closely linked to alcohol, fatty liver and bile-duct disease. Stop drinking, eat low-fat "
        "food, recheck liver function in 3 months and have an abdominal ultrasound if needed.",
    ),
    rule(
        "ALP",
        "H",
        "碱性磷酸酶升高",
        "Raised alkaline phosphatase",
        "ALP升高可来源于肝胆或骨骼。建议3个月后复查，持续升高者到消化科或内分泌科进一步检查。",
        "ALP can come from the liver and bile ducts or from bone. Recheck in 3 months; if it stays high, see "
        "gastroenterology or endocrinology.",
    ),
    rule(
        "TBIL",
        "H",
        "总胆红素升高",
        "Raised bilirubin",
        "以间接胆红素轻度升高为主、无不适者多为吉尔伯特综合征，预后良好，避免熬夜、饥饿和饮酒即可；"
        "如伴皮肤巩膜黄染或转氨酶升高，请到消化科就诊。",
        "A mild, mainly indirect bilirubin rise without symptoms is usually Gilbert's syndrome and harmless — avoid "
        "late nights, fasting and alcohol; with yellow skin or eyes or raised liver enzymes, see gastroenterology.",
    ),
    rule(
        "ALB",
        "L",
        "白蛋白偏低",
        "Low albumin",
        "注意均衡营养，保证优质蛋白摄入，1–3个月后复查肝功能；如近期体重下降或伴水肿，请到消化科或肾内科就诊。",
        "Eat a balanced diet with enough good protein; if you have lost weight or have swelling, see "
        "gastroenterology or nephrology.",
    ),
    rule(
        "HBSAG",
        "A",
        "乙肝表面抗原阳性",
        "Hepatitis B surface antigen positive",
        "提示乙肝病毒感染。请1个月内到感染科或肝病科就诊，查乙肝五项定量、HBV-DNA、肝功能及肝脏彩超，"
        "评估是否需要抗病毒治疗；此后每6个月复查一次。家人应检测并接种乙肝疫苗，避免共用剃须刀、牙刷。",
        "You carry the hepatitis B virus. See infectious diseases or hepatology within a month for quantitative "
        "HBV markers, HBV-DNA, liver function and ultrasound to decide on antiviral treatment, then every 6 months. "
        "Family members should be tested and vaccinated; do not share razors or toothbrushes.",
        level="B",
        match="positive|阳性",
    ),
    # --- 肾功能 kidney ---
    rule(
        "CREA",
        "H",
        "血肌酐升高",
        "Raised creatinine",
        "提示肾功能可能受损。建议避免使用损肾药物（如部分止痛药），控制血压血糖，适量饮水；"
        "1个月内复查肾功能及尿常规，持续升高请到肾内科就诊。",
        "Your kidney function may be reduced. Avoid kidney-toxic medicines such as some painkillers, control blood "
        "pressure and glucose and drink enough; recheck kidney function and urinalysis within a month and see "
        "nephrology if it stays high.",
        level="B",
    ),
    rule(
        "EGFR",
        "L",
        "估算肾小球滤过率轻度下降",
        "Mildly reduced eGFR",
        "eGFR在60–89之间，需结合年龄判断。建议控制血压、血糖和尿酸，避免损肾药物，每年复查肾功能及尿微量白蛋白。",
        "An eGFR of 60–89 must be read with age. Control blood pressure, glucose and uric acid, avoid kidney-toxic "
        "medicines and recheck kidney function and urine albumin every year.",
        low="60",
    ),
    rule(
        "EGFR",
        "L",
        "肾功能下降",
        "Reduced kidney function",
        "eGFR<60 mL/min/1.73m²，提示慢性肾脏病可能。请1个月内到肾内科就诊，复查肾功能、尿常规及尿白蛋白/肌酐比。",
        "An eGFR below 60 suggests chronic kidney disease. See nephrology within a month and repeat kidney function, "
        "urinalysis and the urine albumin/creatinine ratio.",
        level="B",
        high="60",
    ),
    rule(
        "UREA",
        "H",
        "尿素升高",
        "Raised urea",
        "可能与高蛋白饮食、饮水少有关。建议多饮水，1–3个月后复查肾功能。",
        "This can come from a high-protein diet or drinking too little. Drink more and recheck kidney function in "
        "1–3 months.",
        level="",
    ),
    # --- 尿常规 urine ---
    rule(
        "U-PRO",
        "A",
        "尿蛋白弱阳性",
        "Trace protein in the urine",
        "可能与剧烈运动、发热或留尿不规范有关。建议避免剧烈运动后留取晨尿，2–4周后复查尿常规。",
        "This can follow hard exercise, fever or a poorly taken sample. Recheck a morning urine sample in 2–4 weeks, "
        "not after hard exercise.",
        match="trace|1+",
    ),
    rule(
        "U-PRO",
        "A",
        "尿蛋白阳性",
        "Protein in the urine",
        "尿蛋白阳性提示肾脏损害可能。请2周内到肾内科就诊，查24小时尿蛋白定量、尿白蛋白/肌酐比及肾功能。",
        "Protein in the urine may mean kidney damage. See nephrology within 2 weeks for a 24-hour urine protein, the "
        "albumin/creatinine ratio and kidney function.",
        level="B",
        match="2+|3+|4+",
    ),
    rule(
        "U-BLD",
        "A",
        "尿潜血阳性",
        "Blood in the urine",
        "女性请避开月经期复查。建议多饮水，2–4周后复查尿常规及尿沉渣镜检，持续阳性者到泌尿外科或肾内科就诊，"
        "行泌尿系彩超检查。",
        "Women should recheck outside their period. Drink plenty, recheck urinalysis with microscopy in 2–4 weeks, "
        "and if it stays positive see urology or nephrology for a urinary-tract ultrasound.",
        match="trace|1+",
    ),
    rule(
        "U-BLD",
        "A",
        "尿潜血阳性（2+及以上）",
        "Blood in the urine (2+ or more)",
        "尿潜血明显阳性。请2周内到泌尿外科或肾内科就诊，查尿沉渣红细胞形态及泌尿系彩超，40岁以上者需排除泌尿系肿瘤。",
        "Clearly positive. See urology or nephrology within 2 weeks for red-cell morphology and a urinary-tract "
        "ultrasound; over 40, a urinary-tract tumour must be ruled out.",
        level="B",
        match="2+|3+",
    ),
    rule(
        "U-LEU",
        "A",
        "尿白细胞阳性",
        "White cells in the urine",
        "提示泌尿系感染可能。建议多饮水、勿憋尿，注意个人卫生；如有尿频、尿急、尿痛，请到泌尿外科或妇科就诊，"
        "1–2周后复查尿常规。",
        "This may be a urinary infection. Drink plenty, do not hold urine and keep clean; with frequent, urgent or "
        "painful urination see urology or gynaecology, and recheck urinalysis in 1–2 weeks.",
    ),
    rule(
        "U-NIT",
        "A",
        "尿亚硝酸盐阳性",
        "Nitrite in the urine",
        "提示细菌性尿路感染可能。请多饮水，到泌尿外科就诊，必要时行尿培养。",
        "This suggests a bacterial urinary infection. Drink plenty and see urology; a urine culture may be needed.",
        match="positive",
    ),
    rule(
        "U-KET",
        "A",
        "尿酮体阳性",
        "Ketones in the urine",
        "常见于空腹时间长、节食或剧烈运动后。建议规律进餐后复查；糖尿病患者出现尿酮体请及时就医。",
        "Common after a long fast, dieting or hard exercise; recheck after regular meals. People with diabetes should "
        "see a doctor promptly.",
    ),
    rule(
        "U-RBC",
        "H",
        "尿沉渣红细胞增多",
        "Red cells in the urine sediment",
        "女性请避开月经期。建议2–4周后复查尿沉渣，持续增多者到泌尿外科或肾内科就诊，行泌尿系彩超检查。",
        "Women should recheck outside their period. Recheck the sediment in 2–4 weeks and, if it persists, see "
        "urology or nephrology for a urinary-tract ultrasound.",
    ),
    # --- 血常规 blood count ---
    rule(
        "HGB",
        "L",
        "轻度贫血",
        "Mild anaemia",
        "多见于缺铁性贫血。建议多吃瘦肉、动物血、动物肝脏等含铁丰富食物，同时补充维生素C；女性注意月经量，"
        "1个月后复查血常规，必要时到血液科查铁代谢。",
        "Usually iron deficiency. Eat iron-rich food (lean meat, animal blood, liver) with vitamin C; women should "
        "note heavy periods. Recheck the blood count in a month and have iron studies at haematology if needed.",
        low="90",
    ),
    rule(
        "HGB",
        "L",
        "中度及以上贫血",
        "Moderate or severe anaemia",
        "血红蛋白<90 g/L。请1–2周内到血液科就诊查明贫血原因，40岁以上或伴黑便者需行胃肠镜检查排除消化道出血。",
        "Haemoglobin below 90 g/L. See haematology within 1–2 weeks to find the cause; over 40 or with black stools, "
        "gastroscopy and colonoscopy are needed to rule out bleeding.",
        level="B",
        high="90",
    ),
    rule(
        "HGB",
        "H",
        "血红蛋白偏高",
        "High haemoglobin",
        "可能与吸烟、饮水少、长期高原生活有关。建议戒烟、多饮水，3个月后复查，持续升高请到血液科就诊。",
        "This can come from smoking, drinking too little or living at altitude. Stop smoking, drink more and recheck "
        "in 3 months; see haematology if it stays high.",
    ),
    rule(
        "WBC",
        "H",
        "白细胞计数升高",
        "Raised white cell count",
        "常见于细菌感染、吸烟或应激状态。如无发热等感染症状，建议2–4周后复查血常规；持续升高请到血液科就诊。",
        "Common with bacterial infection, smoking or stress. Without fever or other signs of infection, recheck the "
        "blood count in 2–4 weeks; see haematology if it stays high.",
    ),
    rule(
        "WBC",
        "L",
        "白细胞减少",
        "Low white cell count",
        "可能与病毒感染、药物或体质有关。注意预防感染，1个月后复查血常规，持续减少请到血液科就诊。",
        "This can follow a viral infection, medicines or be constitutional. Avoid infections and recheck the blood "
        "count in a month; see haematology if it stays low.",
    ),
    rule(
        "PLT",
        "L",
        "血小板减少",
        "Low platelet count",
        "建议1个月后复查血常规（必要时用枸橼酸钠抗凝管复查以排除假性减少），避免外伤；如有皮肤瘀斑、牙龈出血，"
        "请到血液科就诊。",
        "Recheck the blood count in a month (in a citrate tube, to rule out a false low) and avoid injury; with "
        "bruising or bleeding gums see haematology.",
        low="50",
    ),
    rule(
        "PLT",
        "L",
        "血小板明显减少",
        "Markedly low platelet count",
        "血小板<50×10^9/L，有出血风险。请1周内到血液科就诊，避免剧烈活动和外伤，暂停阿司匹林等抗血小板药物（遵医嘱）。",
        "Platelets below 50 ×10^9/L carry a bleeding risk. See haematology within a week, avoid strenuous activity "
        "and injury, and ask your doctor about stopping aspirin or similar medicines.",
        level="B",
        high="50",
    ),
    rule(
        "PLT",
        "H",
        "血小板增多",
        "Raised platelet count",
        "可见于感染、缺铁等反应性增多。建议1–3个月后复查血常规，持续升高请到血液科就诊。",
        "Often reactive (infection, iron deficiency). Recheck the blood count in 1–3 months and see haematology if "
        "it stays high.",
    ),
    rule(
        "MCV",
        "L",
        "小细胞性红细胞改变",
        "Small red cells (low MCV)",
        "提示缺铁或地中海贫血基因携带可能。建议查铁蛋白，1–3个月后复查血常规，必要时行地贫基因检测，备孕者尤应重视。",
        "This suggests iron deficiency or thalassaemia trait. Have ferritin checked and thalassaemia testing if "
        "needed — especially when planning a pregnancy.",
    ),
    rule(
        "EO-PCT",
        "H",
        "嗜酸性粒细胞比例升高",
        "Raised eosinophils",
        "常见于过敏性疾病或寄生虫感染。注意避免接触过敏原，饮食卫生，不吃生食；如伴皮疹、腹泻请到相关专科就诊。",
        "Common with allergies or parasites. Avoid known allergens and raw food; with rash or diarrhoea see the "
        "relevant clinic.",
        level="",
    ),
    # --- 电解质、心血管标志物 ---
    rule(
        "K",
        "L",
        "血钾偏低",
        "Low potassium",
        "可能与进食少、腹泻或服用利尿剂有关。建议多吃香蕉、橙子、菠菜等含钾食物，1–2周后复查电解质。",
        "This can follow poor intake, diarrhoea or diuretics. Eat potassium-rich food (bananas, oranges, spinach) and "
        "recheck electrolytes in 1–2 weeks.",
    ),
    rule(
        "K",
        "H",
        "血钾偏高",
        "High potassium",
        "可能因采血溶血所致。建议1–2周内复查电解质及肾功能，服用保钾利尿剂或ACEI类降压药者请咨询心内科医生。",
        "A haemolysed sample can cause it. Recheck electrolytes and kidney function within 1–2 weeks; if you take "
        "potassium-sparing diuretics or ACE inhibitors, ask your cardiologist.",
    ),
    rule(
        "HCY",
        "H",
        "同型半胱氨酸升高",
        "Raised homocysteine",
        "高同型半胱氨酸是心脑血管病的独立危险因素。建议多吃绿叶蔬菜、豆类，戒烟限酒，可在医生指导下补充叶酸及"
        "维生素B12，3–6个月后复查。",
        "High homocysteine is an independent cardiovascular risk factor. Eat more green vegetables and beans, stop "
        "smoking, limit alcohol and take folic acid and vitamin B12 as your doctor advises; recheck in 3–6 months.",
    ),
    rule(
        "HSCRP",
        "H",
        "超敏C反应蛋白升高",
        "Raised hs-CRP",
        "提示体内炎症状态或心血管风险增加。近期无感染者建议2–4周后复查，并积极控制血压、血脂、血糖及体重。",
        "This points to inflammation or a higher cardiovascular risk. Without a recent infection, recheck in 2–4 "
        "weeks and keep blood pressure, lipids, glucose and weight under control.",
    ),
    # --- 甲状腺 thyroid ---
    rule(
        "TSH",
        "H",
        "促甲状腺激素升高",
        "Raised TSH",
        "提示亚临床甲状腺功能减退可能。建议1–3个月后复查甲状腺功能及甲状腺抗体（TPOAb），备孕或妊娠者请尽早到"
        "内分泌科就诊。",
        "This suggests subclinical hypothyroidism. Recheck thyroid function and thyroid antibodies (TPOAb) in 1–3 "
        "months; if planning a pregnancy or pregnant, see endocrinology soon.",
    ),
    rule(
        "TSH",
        "L",
        "促甲状腺激素降低",
        "Low TSH",
        "提示甲状腺功能亢进可能。如有心慌、手抖、消瘦、怕热等症状，请2周内到内分泌科就诊，复查甲状腺功能及抗体。",
        "This suggests an overactive thyroid. With palpitations, tremor, weight loss or heat intolerance, see "
        "endocrinology within 2 weeks to repeat thyroid function and antibodies.",
        level="B",
    ),
    rule(
        "FT4",
        "H",
        "游离甲状腺素升高",
        "Raised free T4",
        "请结合TSH判断。建议2周内到内分泌科就诊，复查甲状腺功能，必要时行甲状腺彩超及摄碘率检查。",
        "To be read with TSH. See endocrinology within 2 weeks to repeat thyroid function, with ultrasound or an "
        "iodine-uptake test if needed.",
        level="B",
    ),
    # --- 肿瘤标志物 tumour markers ---
    rule(
        "AFP",
        "H",
        "甲胎蛋白升高",
        "Raised AFP",
        "甲胎蛋白升高可见于肝炎活动期、肝硬化，也需排除肝脏肿瘤。请2周内到肝病科或肝胆外科就诊，复查AFP并行肝脏"
        "增强CT或MRI检查。",
        "A raised AFP occurs in active hepatitis and cirrhosis, and a liver tumour must be ruled out. See "
        "hepatology or hepatobiliary surgery within 2 weeks to repeat AFP and have a contrast liver CT or MRI.",
        level="B",
    ),
    rule(
        "CEA",
        "H",
        "癌胚抗原升高",
        "Raised CEA",
        "CEA轻度升高可见于吸烟、慢性炎症，亦需排除消化道、肺部肿瘤。建议戒烟，1个月内复查CEA，持续升高者行胃肠镜及"
        "胸部CT检查。",
        "A mildly raised CEA is seen in smokers and chronic inflammation, but bowel, stomach and lung tumours must "
        "be ruled out. Stop smoking and repeat CEA within a month; if it stays high, have gastroscopy, colonoscopy "
        "and a chest CT.",
        level="B",
    ),
    rule(
        "CA19-9",
        "H",
        "糖类抗原19-9升高",
        "Raised CA19-9",
        "可见于胆道炎症、胆结石，亦需排除胰腺及胆道肿瘤。请1个月内复查，并行上腹部增强CT或MRI检查。",
        "Seen with bile-duct inflammation and gallstones; pancreatic and biliary tumours must be ruled out. Repeat it "
        "within a month and have a contrast CT or MRI of the upper abdomen.",
        level="B",
    ),
    rule(
        "CA125",
        "H",
        "糖类抗原125升高",
        "Raised CA125",
        "可受月经、子宫内膜异位症、盆腔炎影响。建议月经干净后1–2周复查，并行妇科彩超检查，持续升高者到妇科就诊。",
        "Periods, endometriosis and pelvic inflammation can raise it. Repeat it 1–2 weeks after your period with a "
        "gynaecological ultrasound, and see gynaecology if it stays high.",
        level="B",
        sex="female",
    ),
    rule(
        "CA15-3",
        "H",
        "糖类抗原15-3升高",
        "Raised CA15-3",
        "建议1–3个月后复查，并结合乳腺彩超或钼靶检查，必要时到乳腺外科就诊。",
        "Repeat it in 1–3 months with a breast ultrasound or mammogram, and see breast surgery if needed.",
    ),
    rule(
        "CA72-4",
        "H",
        "糖类抗原72-4升高",
        "Raised CA72-4",
        "可受饮食、药物及胃炎影响，单项轻度升高意义有限。建议1–3个月后复查，持续升高者行胃镜检查。",
        "Food, medicines and gastritis affect it; a mild rise alone means little. Repeat it in 1–3 months and have "
        "a gastroscopy if it stays high.",
    ),
    rule(
        "CYFRA21-1",
        "H",
        "细胞角蛋白19片段升高",
        "Raised CYFRA 21-1",
        "需排除肺部疾病。建议戒烟，1个月内复查，并行胸部低剂量螺旋CT检查。",
        "Lung disease must be ruled out. Stop smoking, repeat it within a month and have a low-dose chest CT.",
        level="B",
    ),
    rule(
        "NSE",
        "H",
        "神经元特异性烯醇化酶升高",
        "Raised NSE",
        "采血溶血可致假性升高。建议1个月内复查，持续升高者行胸部CT检查。",
        "A haemolysed sample can raise it falsely. Repeat it within a month and have a chest CT if it stays high.",
    ),
    rule(
        "TPSA",
        "H",
        "前列腺特异性抗原升高（灰区）",
        "Raised PSA (grey zone)",
        "PSA在4–10 ng/mL之间。检查前1周避免骑车、性生活及前列腺按摩，1个月内复查总PSA和游离PSA，"
        "并到泌尿外科就诊，必要时行前列腺MRI检查。",
        "PSA of 4–10 ng/mL. Avoid cycling, sex and prostate massage for a week before the test, repeat total and "
        "free PSA within a month and see urology; a prostate MRI may be needed.",
        level="B",
        sex="male",
        high="10",
    ),
    rule(
        "TPSA",
        "H",
        "前列腺特异性抗原明显升高",
        "Markedly raised PSA",
        "PSA≥10 ng/mL，前列腺癌风险明显增加。请2周内到泌尿外科就诊，行前列腺MRI检查，必要时穿刺活检。",
        "PSA at or above 10 ng/mL clearly raises the risk of prostate cancer. See urology within 2 weeks for a "
        "prostate MRI and, if needed, a biopsy.",
        level="B",
        sex="male",
        low="10",
    ),
    rule(
        "FERR",
        "H",
        "铁蛋白升高",
        "Raised ferritin",
        "可见于炎症、脂肪肝、饮酒及铁过载。建议戒酒，3个月后复查铁蛋白及肝功能，持续升高者到血液科就诊。",
        "Seen with inflammation, fatty liver, alcohol and iron overload. Stop drinking, repeat ferritin and liver "
        "function in 3 months and see haematology if it stays high.",
    ),
    rule(
        "VITD",
        "L",
        "维生素D不足",
        "Vitamin D insufficiency",
        "建议每日户外日照15–30分钟，多吃深海鱼、蛋黄、奶制品，必要时在医生指导下补充维生素D，6个月后复查。",
        "Get 15–30 minutes of sunlight outdoors a day, eat oily fish, egg yolk and dairy, take vitamin D as your "
        "doctor advises and recheck in 6 months.",
        level="",
        low="20",
    ),
    rule(
        "VITD",
        "L",
        "维生素D缺乏",
        "Vitamin D deficiency",
        "维生素D缺乏影响骨骼及肌肉健康。请在医生指导下补充维生素D及钙剂，增加日照，3个月后复查，老年人注意防跌倒。",
        "Vitamin D deficiency harms bones and muscles. Take vitamin D and calcium as your doctor advises, get more "
        "sunlight and recheck in 3 months; older people should take care not to fall.",
        high="20",
    ),
    rule(
        "BMD",
        "L",
        "骨量减少",
        "Osteopenia",
        "多吃奶制品、豆制品等富钙食物，每日日照，坚持负重运动（快走、太极），戒烟限酒；1–2年后复查骨密度。",
        "Eat calcium-rich food (dairy, soy), get daily sunlight, keep up weight-bearing exercise (brisk walking, "
        "tai chi), stop smoking and limit alcohol; recheck bone density in 1–2 years.",
        low="-2.5",
    ),
    rule(
        "BMD",
        "L",
        "骨质疏松",
        "Osteoporosis",
        "骨折风险增加。请1个月内到骨科或内分泌科就诊，行双能X线骨密度（DXA）检查确诊，遵医嘱补充钙剂、维生素D及"
        "抗骨质疏松治疗，注意防跌倒。",
        "Your fracture risk is raised. See orthopaedics or endocrinology within a month for a DXA scan to confirm it, "
        "take calcium, vitamin D and treatment as advised, and take care not to fall.",
        high="-2.5",
    ),
    # --- 影像与超声 imaging (keywords in the report text) ---
    rule(
        "US-ABD",
        "A",
        "脂肪肝",
        "Fatty liver",
        "脂肪肝与饮食结构、饮酒及体重关系密切，多数可逆。建议戒酒，少吃油腻、甜食及夜宵，每周运动150分钟以上，"
        "超重者半年内减重5%–10%；6个月后复查肝功能、血脂及腹部彩超。",
        "Fatty liver is tied to diet, alcohol and weight and is mostly reversible. Stop drinking, eat less fat, "
        "sweets and late-night snacks, exercise over 150 minutes a week and lose 5–10 % of your weight in six months "
        "if overweight; recheck liver function, lipids and abdominal ultrasound in 6 months.",
        match="脂肪肝|fatty liver",
    ),
    rule(
        "US-ABD",
        "A",
        "胆囊息肉",
        "Gallbladder polyp",
        "息肉<10 mm者一般6–12个月复查腹部彩超；如息肉≥10 mm、短期增大或伴胆囊结石，请到肝胆外科就诊评估手术。"
        "饮食规律，少吃高脂食物。",
        "A polyp under 10 mm needs an ultrasound every 6–12 months; at 10 mm or more, if it grows quickly or comes "
        "with gallstones, see hepatobiliary surgery about an operation. Eat regularly and limit fatty food.",
        match="胆囊息肉|gallbladder polyp",
    ),
    rule(
        "US-ABD",
        "A",
        "胆囊结石",
        "Gallstones",
        "规律进食早餐，避免暴饮暴食及高脂饮食。无症状者每年复查腹部彩超；如出现右上腹痛、发热、黄疸，请及时到"
        "肝胆外科就诊。",
        "Eat breakfast regularly and avoid large or fatty meals. Without symptoms, have a yearly ultrasound; with "
        "pain under the right ribs, fever or jaundice, see hepatobiliary surgery promptly.",
        match="胆囊结石|gallstone",
    ),
    rule(
        "US-ABD",
        "A",
        "肝囊肿",
        "Liver cyst",
        "单纯性肝囊肿为良性病变，一般无需处理，每年复查腹部彩超观察大小变化即可。",
        "A simple liver cyst is benign and usually needs nothing but a yearly ultrasound to watch its size.",
        level="",
        match="肝囊肿|liver cyst|hepatic cyst",
    ),
    rule(
        "US-ABD",
        "A",
        "肝血管瘤",
        "Liver haemangioma",
        "肝血管瘤多为良性，<5 cm且无症状者6–12个月复查腹部彩超；增大明显或诊断不确定时行增强CT或MRI检查。",
        "A liver haemangioma is usually benign; under 5 cm and without symptoms, repeat the ultrasound every 6–12 "
        "months, and have a contrast CT or MRI if it grows or the diagnosis is uncertain.",
        match="血管瘤|haemangioma|hemangioma",
    ),
    rule(
        "US-URO",
        "A",
        "肾结石",
        "Kidney stone",
        "每日饮水2000–3000 ml，少喝浓茶、碳酸饮料，少吃高草酸（菠菜、浓茶）及高嘌呤食物；每年复查泌尿系彩超，"
        "如出现腰腹绞痛、血尿请到泌尿外科就诊。",
        "Drink 2–3 litres a day, avoid strong tea and fizzy drinks, limit high-oxalate (spinach) and high-purine "
        "food; recheck the urinary-tract ultrasound yearly and see urology with colicky flank pain or blood in the urine.",
        match="肾结石|kidney stone|renal calculus|renal stone",
    ),
    rule(
        "US-URO",
        "A",
        "肾囊肿",
        "Kidney cyst",
        "单纯性肾囊肿为良性病变，一般无需治疗，每年复查泌尿系彩超。",
        "A simple kidney cyst is benign and needs no treatment; repeat the ultrasound every year.",
        level="",
        match="肾囊肿|kidney cyst|renal cyst",
    ),
    rule(
        "US-THY",
        "A",
        "甲状腺结节（TI-RADS 3类）",
        "Thyroid nodule (TI-RADS 3)",
        "TI-RADS 3类结节恶性风险低（<5%）。建议6–12个月复查甲状腺彩超，避免长期大量摄入海带、紫菜等高碘食物。",
        "A TI-RADS 3 nodule carries a low risk of cancer (under 5 %). Repeat the thyroid ultrasound in 6–12 months "
        "and avoid large amounts of kelp, laver and other high-iodine food.",
        match="TI-RADS 3|TI-RADS3|TR3|TI-RADS 2|TI-RADS2",
    ),
    rule(
        "US-THY",
        "A",
        "甲状腺结节（TI-RADS 4类及以上）",
        "Thyroid nodule (TI-RADS 4 or higher)",
        "TI-RADS 4类及以上结节需进一步明确性质。请1个月内到甲状腺外科或内分泌科就诊，必要时行超声引导下细针穿刺"
        "活检（FNA）。",
        "A TI-RADS 4 or higher nodule needs a diagnosis. See thyroid surgery or endocrinology within a month; an "
        "ultrasound-guided fine-needle aspiration may be needed.",
        level="B",
        match="TI-RADS 4|TI-RADS4|TR4|TI-RADS 5|TI-RADS5|TR5",
    ),
    rule(
        "US-THY",
        "A",
        "甲状腺彩超异常",
        "Abnormal thyroid ultrasound",
        "建议6个月后复查甲状腺彩超及甲状腺功能，必要时到内分泌科就诊。",
        "Repeat the thyroid ultrasound and thyroid function in 6 months and see endocrinology if needed.",
    ),
    rule(
        "US-BREAST",
        "A",
        "乳腺结节（BI-RADS 3类）",
        "Breast nodule (BI-RADS 3)",
        "BI-RADS 3类为良性可能大（恶性风险<2%）。建议6个月后复查乳腺彩超，平时注意乳房自查，如发现肿块增大请及时就诊。",
        "BI-RADS 3 is probably benign (under 2 % risk). Repeat the breast ultrasound in 6 months, examine your "
        "breasts yourself and see a doctor if a lump grows.",
        match="BI-RADS 3|BI-RADS3",
        sex="female",
    ),
    rule(
        "US-BREAST",
        "A",
        "乳腺结节（BI-RADS 4类及以上）",
        "Breast nodule (BI-RADS 4 or higher)",
        "BI-RADS 4类及以上结节有恶性可能，需尽快明确诊断。请2周内到乳腺外科就诊，行乳腺钼靶及空芯针穿刺活检。",
        "BI-RADS 4 or higher may be malignant and needs a diagnosis soon. See breast surgery within 2 weeks for a "
        "mammogram and a core-needle biopsy.",
        level="B",
        match="BI-RADS 4|BI-RADS4|BI-RADS 5|BI-RADS5",
    ),
    rule(
        "US-BREAST",
        "A",
        "乳腺增生",
        "Breast hyperplasia",
        "乳腺增生与内分泌变化有关，多为良性。保持心情舒畅，规律作息，每年复查乳腺彩超。",
        "Breast hyperplasia follows hormonal changes and is usually benign. Keep a regular routine and repeat the "
        "breast ultrasound every year.",
        level="",
        match="乳腺增生|hyperplasia",
    ),
    rule(
        "US-GYN",
        "A",
        "子宫肌瘤",
        "Uterine fibroid",
        "子宫肌瘤多为良性。无症状者6–12个月复查妇科彩超；如月经量明显增多、贫血或肌瘤增长较快，请到妇科就诊。",
        "Fibroids are usually benign. Without symptoms, repeat the gynaecological ultrasound in 6–12 months; with "
        "heavy periods, anaemia or fast growth, see gynaecology.",
        match="子宫肌瘤|fibroid|leiomyoma",
    ),
    rule(
        "US-GYN",
        "A",
        "卵巢囊肿",
        "Ovarian cyst",
        "生理性囊肿多可自行消退。建议月经干净后3–7天复查妇科彩超，持续存在或增大者到妇科就诊。",
        "Functional cysts often resolve. Repeat the ultrasound 3–7 days after your period and see gynaecology if it "
        "persists or grows.",
        match="卵巢囊肿|附件囊肿|ovarian cyst",
    ),
    rule(
        "US-PROS",
        "A",
        "前列腺增生",
        "Benign prostatic hyperplasia",
        "避免久坐、憋尿和饮酒，少吃辛辣；如有夜尿增多、排尿困难，请到泌尿外科就诊。50岁以上男性每年查PSA。",
        "Avoid long sitting, holding urine, alcohol and spicy food; with night-time urination or difficulty passing "
        "urine see urology. Men over 50 should have a PSA test every year.",
        match="前列腺增生|prostatic hyperplasia|enlarged prostate",
        sex="male",
    ),
    rule(
        "US-CAROTID",
        "A",
        "颈动脉斑块",
        "Carotid plaque",
        "提示动脉粥样硬化。建议戒烟，低盐低脂饮食，控制血压、血脂、血糖，请1–3个月内到心内科或神经内科就诊，"
        "评估是否需要他汀及抗血小板治疗，每年复查颈动脉彩超。",
        "This is atherosclerosis. Stop smoking, eat low-salt, low-fat food and control blood pressure, lipids and "
        "glucose; see cardiology or neurology within 1–3 months about a statin and antiplatelet treatment, and "
        "repeat the carotid ultrasound every year.",
        match="斑块|plaque",
    ),
    rule(
        "US-CAROTID",
        "A",
        "颈动脉内中膜增厚",
        "Carotid intima-media thickening",
        "动脉硬化早期表现。建议戒烟限酒，控制血压、血脂、血糖，规律运动，每年复查颈动脉彩超。",
        "An early sign of arterial stiffening. Stop smoking, limit alcohol, control blood pressure, lipids and "
        "glucose, exercise regularly and repeat the carotid ultrasound yearly.",
        match="内中膜增厚|intima-media thickening|IMT",
    ),
    rule(
        "DR-CHEST",
        "A",
        "胸片异常（结节影）",
        "Nodular shadow on chest X-ray",
        "胸片发现结节影，需进一步明确。请1个月内行胸部CT检查，必要时到胸外科或呼吸科就诊。",
        "The chest X-ray shows a nodular shadow that needs clarifying: have a chest CT within a month and see "
        "thoracic surgery or respiratory medicine if needed.",
        level="B",
        match="结节|nodule",
    ),
    rule(
        "CT-CHEST",
        "A",
        "肺磨玻璃结节",
        "Ground-glass lung nodule",
        "磨玻璃结节多需随访观察。请到胸外科或呼吸科就诊，按结节大小一般3–6个月后复查胸部薄层CT；戒烟，远离油烟。",
        "Ground-glass nodules usually need follow-up. See thoracic surgery or respiratory medicine; a thin-section "
        "chest CT is usually repeated in 3–6 months depending on size. Stop smoking and avoid cooking fumes.",
        level="B",
        match="磨玻璃|ground-glass|ground glass|GGO",
    ),
    rule(
        "CT-CHEST",
        "A",
        "肺结节",
        "Lung nodule",
        "实性小结节（<6 mm）多为良性，建议12个月后复查胸部低剂量CT；6–8 mm者6–12个月复查，>8 mm请到胸外科就诊。"
        "戒烟，远离油烟。",
        "Small solid nodules (under 6 mm) are mostly benign: repeat the low-dose CT in 12 months; 6–8 mm in 6–12 "
        "months; over 8 mm see thoracic surgery. Stop smoking and avoid cooking fumes.",
        match="结节|nodule",
    ),
    # --- 心电图 ECG ---
    rule(
        "ECG",
        "A",
        "窦性心动过缓",
        "Sinus bradycardia",
        "经常运动者窦性心动过缓多属生理现象；如伴头晕、乏力、黑矇，请到心内科就诊，行动态心电图检查。",
        "In people who exercise, sinus bradycardia is usually normal; with dizziness, fatigue or fainting see "
        "cardiology for a 24-hour Holter ECG.",
        level="",
        match="窦性心动过缓|sinus bradycardia",
    ),
    rule(
        "ECG",
        "A",
        "窦性心动过速",
        "Sinus tachycardia",
        "可能与紧张、饮咖啡、发热、贫血或甲亢有关。建议放松后复查心电图，必要时查血常规及甲状腺功能。",
        "This can come from stress, coffee, fever, anaemia or an overactive thyroid. Repeat the ECG at rest and check "
        "the blood count and thyroid function if needed.",
        match="窦性心动过速|sinus tachycardia",
    ),
    rule(
        "ECG",
        "A",
        "ST-T改变",
        "ST-T changes",
        "ST-T改变可见于心肌缺血，也可为非特异性改变。如有胸闷、胸痛、活动后气短，请2周内到心内科就诊，行心脏彩超、"
        "运动平板或冠脉CTA检查；胸痛持续不缓解时立即拨打120。",
        "ST-T changes can mean myocardial ischaemia or be non-specific. With chest tightness, chest pain or "
        "breathlessness on exertion, see cardiology within 2 weeks for an echocardiogram, exercise test or coronary "
        "CTA; call an ambulance for chest pain that does not ease.",
        level="B",
        match="ST-T|ST段|T波|ST segment|T wave",
    ),
    rule(
        "ECG",
        "A",
        "早搏",
        "Premature beats",
        "偶发早搏多与疲劳、熬夜、吸烟饮酒、浓茶咖啡有关。建议规律作息、戒烟限酒；如频繁心悸，请到心内科就诊，"
        "行24小时动态心电图及心脏彩超检查。",
        "Occasional premature beats usually follow tiredness, late nights, smoking, alcohol, strong tea or coffee. "
        "Keep regular hours and cut these out; with frequent palpitations see cardiology for a 24-hour Holter ECG "
        "and an echocardiogram.",
        match="早搏|期前收缩|premature",
    ),
    rule(
        "ECG",
        "A",
        "心房颤动",
        "Atrial fibrillation",
        "房颤增加脑卒中风险。请1周内到心内科就诊，评估抗凝治疗及心率控制；如出现言语不清、肢体无力，立即拨打120。",
        "Atrial fibrillation raises the risk of stroke. See cardiology within a week about anticoagulation and rate "
        "control; call an ambulance at once for slurred speech or weakness of a limb.",
        level="B",
        match="房颤|心房颤动|atrial fibrillation",
    ),
    rule(
        "ECG",
        "A",
        "传导阻滞",
        "Conduction block",
        "完全性右束支传导阻滞、Ⅰ度房室传导阻滞多无需特殊处理，每年复查心电图；如伴头晕、晕厥，请到心内科就诊。",
        "Right bundle branch block or first-degree AV block usually needs no treatment — repeat the ECG yearly; with "
        "dizziness or fainting see cardiology.",
        match="传导阻滞|bundle branch block|AV block|atrioventricular block",
    ),
    # --- 专科检查 clinical examinations ---
    rule(
        "C13-UBT",
        "A",
        "幽门螺杆菌感染",
        "Helicobacter pylori infection",
        "幽门螺杆菌与慢性胃炎、消化性溃疡及胃癌相关。建议到消化科就诊，行四联根除治疗（疗程14天），停药4周后复查"
        "碳13呼气试验；家庭成员建议同时检测，使用公筷、分餐。",
        "H. pylori is linked to chronic gastritis, ulcers and stomach cancer. See gastroenterology for 14-day "
        "quadruple eradication therapy and repeat the breath test 4 weeks after finishing; family members should be "
        "tested too, and use serving chopsticks or separate dishes.",
        match="positive|阳性",
    ),
    rule(
        "FOBT",
        "A",
        "粪便隐血阳性",
        "Faecal occult blood positive",
        "需排除消化道出血及结直肠肿瘤。请1个月内到消化科就诊，行结肠镜检查（必要时加胃镜）；痔疮出血亦可致阳性。",
        "Bleeding in the gut and bowel cancer must be ruled out. See gastroenterology within a month for a "
        "colonoscopy (and a gastroscopy if needed); haemorrhoids can also cause a positive test.",
        level="B",
        match="positive|阳性",
    ),
    rule(
        "TCT",
        "A",
        "宫颈细胞学ASC-US",
        "Cervical cytology ASC-US",
        "意义不明确的非典型鳞状细胞。建议结合HPV检测结果，HPV高危型阳性者到妇科行阴道镜检查，阴性者12个月后复查TCT。",
        "Atypical squamous cells of undetermined significance. Read with the HPV result: high-risk HPV positive — "
        "colposcopy at gynaecology; negative — repeat cytology in 12 months.",
        match="ASC-US|ASCUS",
    ),
    rule(
        "TCT",
        "A",
        "宫颈上皮内病变可能",
        "Possible cervical intraepithelial lesion",
        "宫颈细胞学提示鳞状上皮内病变（LSIL/HSIL）或非典型细胞。请2–4周内到妇科就诊，行阴道镜检查及宫颈活检。",
        "Cervical cytology shows a squamous intraepithelial lesion (LSIL/HSIL) or atypical cells. See gynaecology "
        "within 2–4 weeks for colposcopy and a cervical biopsy.",
        level="B",
        match="LSIL|HSIL|ASC-H|AGC|上皮内病变",
    ),
    rule(
        "HPV",
        "A",
        "HPV16/18型阳性",
        "HPV 16/18 positive",
        "HPV16/18型为宫颈癌最主要的致病型。无论TCT结果如何，请1个月内到妇科就诊行阴道镜检查。",
        "HPV 16/18 cause most cervical cancers. Whatever the cytology, see gynaecology within a month for colposcopy.",
        level="B",
        match="HPV16/18 positive",
        sex="female",
    ),
    rule(
        "HPV",
        "A",
        "其他高危型HPV阳性",
        "Other high-risk HPV positive",
        "多数HPV感染可在1–2年内被免疫系统清除。TCT正常者12个月后复查HPV及TCT，TCT异常者到妇科行阴道镜检查；"
        "规律作息，增强体质。",
        "Most HPV infections clear within 1–2 years. With normal cytology repeat HPV and cytology in 12 months; with "
        "abnormal cytology have a colposcopy. Keep regular hours and stay fit.",
        match="Other high-risk type positive",
        sex="female",
    ),
    rule(
        "GYN-EXAM",
        "A",
        "宫颈柱状上皮异位",
        "Cervical ectropion",
        "宫颈柱状上皮异位多为生理现象，无症状者无需治疗，定期行宫颈癌筛查（TCT+HPV）即可。",
        "Cervical ectropion is usually physiological and needs no treatment without symptoms; keep up regular "
        "cervical screening (cytology and HPV).",
        level="",
        match="柱状上皮异位|宫颈糜烂|ectropion|erosion",
    ),
    rule(
        "GYN-EXAM",
        "A",
        "慢性宫颈炎",
        "Chronic cervicitis",
        "注意外阴清洁，避免不洁性生活；如白带增多、异味或接触性出血，请到妇科就诊。",
        "Keep the vulva clean and avoid unsafe sex; with more or odorous discharge or bleeding after intercourse, "
        "see gynaecology.",
        match="宫颈炎|cervicitis",
    ),
    rule(
        "IOP-R",
        "H",
        "眼压偏高（右眼）",
        "Raised eye pressure (right)",
        "需警惕青光眼。请1个月内到眼科就诊，复查眼压并行视野、眼底OCT检查；避免长时间在暗处用眼，一次饮水不宜过多。",
        "Glaucoma must be ruled out. See ophthalmology within a month to repeat the pressure and have visual-field "
        "and OCT tests; avoid long reading in the dark and drinking a lot at once.",
        level="B",
    ),
    rule(
        "IOP-L",
        "H",
        "眼压偏高（左眼）",
        "Raised eye pressure (left)",
        "需警惕青光眼。请1个月内到眼科就诊，复查眼压并行视野、眼底OCT检查；避免长时间在暗处用眼，一次饮水不宜过多。",
        "Glaucoma must be ruled out. See ophthalmology within a month to repeat the pressure and have visual-field "
        "and OCT tests; avoid long reading in the dark and drinking a lot at once.",
        level="B",
    ),
    rule(
        "FUNDUS",
        "A",
        "眼底动脉硬化",
        "Retinal arteriosclerosis",
        "眼底动脉硬化反映全身小动脉改变，多与高血压、高血脂有关。请控制血压、血脂，每年复查眼底。",
        "Retinal arteriosclerosis mirrors small-artery changes, usually from high blood pressure or lipids; control "
        "both and have your fundus checked every year.",
        match="动脉硬化|arteriosclerosis",
    ),
    rule(
        "SLIT",
        "A",
        "白内障",
        "Cataract",
        "早期白内障可定期观察，户外佩戴防紫外线眼镜，每年复查；如视力下降影响生活，请到眼科就诊评估手术。",
        "An early cataract can be watched: wear UV-protective glasses outdoors, and see ophthalmology about surgery "
        "once your sight limits daily life.",
        match="白内障|cataract|晶状体混浊",
    ),
    rule(
        "CV",
        "A",
        "色觉异常",
        "Colour vision deficiency",
        "色觉异常多为先天性，无需特殊治疗；驾驶、择业时请注意相关要求。",
        "Colour vision deficiency is usually inborn and has no treatment; mind the requirements for driving and "
        "some jobs.",
        level="",
    ),
    rule(
        "ORAL-EXAM",
        "A",
        "牙结石/牙周炎",
        "Dental calculus / periodontitis",
        "建议每6–12个月洁牙一次，掌握正确刷牙方法（巴氏刷牙法），使用牙线；牙龈出血、牙齿松动请到口腔科就诊。",
        "Have a scale-and-polish every 6–12 months, brush properly (Bass technique) and floss; see a dentist for "
        "bleeding gums or loose teeth.",
        level="",
        match="牙结石|牙周|calculus|periodontitis",
    ),
    rule(
        "ORAL-EXAM",
        "A",
        "龋齿",
        "Dental caries",
        "请尽早到口腔科就诊充填治疗，少吃甜食，睡前刷牙。",
        "See a dentist soon for fillings, eat fewer sweets and brush before bed.",
        level="",
        match="龋|caries",
    ),
    rule(
        "ABI-PWV",
        "A",
        "动脉硬化（血管弹性下降）",
        "Arterial stiffness",
        "提示血管弹性下降。请戒烟，控制血压、血脂、血糖，坚持有氧运动，每年复查动脉硬化检测及颈动脉彩超。",
        "Your arteries are stiffer than they should be. Stop smoking, control blood pressure, lipids and glucose, "
        "keep up aerobic exercise and repeat the test and a carotid ultrasound yearly.",
        match="硬化|stiffness|增快|increased",
    ),
    rule(
        "GASTRO",
        "A",
        "慢性萎缩性胃炎",
        "Chronic atrophic gastritis",
        "属胃癌前状态。请到消化科就诊，根除幽门螺杆菌，1–3年复查胃镜（伴肠化或异型增生者遵医嘱缩短间隔）；"
        "少吃腌制、烟熏食物。",
        "A precancerous condition. See gastroenterology, eradicate H. pylori and repeat gastroscopy every 1–3 years "
        "(sooner with metaplasia or dysplasia, as advised); avoid pickled and smoked food.",
        match="萎缩|atrophic",
    ),
    rule(
        "GASTRO",
        "A",
        "胃息肉",
        "Gastric polyp",
        "请根据病理结果到消化科随访，一般1年后复查胃镜。",
        "Follow the pathology result with gastroenterology; a repeat gastroscopy is usually due in a year.",
        match="息肉|polyp",
    ),
    rule(
        "COLONO",
        "A",
        "结肠息肉",
        "Colon polyp",
        "请根据息肉大小及病理结果到消化科随访，腺瘤性息肉切除后一般1–3年复查肠镜；多吃蔬菜粗粮，少吃红肉及加工肉。",
        "Follow up with gastroenterology by size and pathology; after an adenoma is removed, colonoscopy is usually "
        "repeated in 1–3 years. Eat more vegetables and whole grains, less red and processed meat.",
        match="息肉|polyp",
    ),
]


def seed_library():
    """The demo's advice library (every rule checked for its codes); returns how many rules."""
    for row in LIBRARY:
        advice.check_rule_values(row["flag"], row["sex"], row["level"], row["age_min"], row["age_max"])
    with db.atomic():
        AdviceRule.insert_many(LIBRARY).execute()
    return len(LIBRARY)


def sign_today_stations(physician, day):
    """The station doctor signs the conclusion of every station that is done for today's checked-in clients
    (the text as the station box suggests it), so a finished checkup reaches the chief physician's queue."""
    doctor = Actor(physician, "127.0.0.1")
    stations = (
        Appointment.select(Appointment.id, ExamItem.department.alias("department_id"))
        .join(AppointmentItem, on=(AppointmentItem.appointment == Appointment.id))
        .join(ExamItem, on=(AppointmentItem.item == ExamItem.id))
        .where(Appointment.day == day, Appointment.status == CHECKED_IN)
        .group_by(Appointment.id, ExamItem.department)
        .order_by(Appointment.id)
        .dicts()
    )
    signed = 0
    for row in list(stations):
        view = station_conclusions.station_view(row["id"], row["department_id"])
        if view.pending or view.signed:
            continue
        try:
            station_conclusions.save(doctor, row["id"], row["department_id"], view.suggested_text(True), sign=True)
        except DomainError:  # a station the demo left in a state that refuses it: leave it unsigned
            continue
        signed += 1
    return signed


def seed_advice(physician, day):
    """The advice library, and today's finished stations signed (demo.py calls this after the exam day)."""
    return seed_library(), sign_today_stations(physician, day)
