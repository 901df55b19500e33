"""Demo history: Acme employees and the demo client with last year's and this year's signed reports."""

import datetime
import random
from decimal import Decimal

from peewee import chunked

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.demo import demo_data
from checkup.demo.accounts import ACCOUNTS, DEMO_CLIENT
from checkup.demo.demo_report_texts import ADVICE, FINDINGS_ZH, FLAG_WORDS, GENERAL_ADVICE, OTHER_ADVICE, in_language
from checkup.models import (
    Appointment,
    AppointmentItem,
    Client,
    CriticalAlert,
    Department,
    FollowUp,
    Organization,
    ReferenceRange,
    Report,
    Result,
    Slot,
)
from checkup.models.appointments import COMPLETED
from checkup.models.base import db
from checkup.services.accounts import accounts
from checkup.services.booking import booking
from checkup.services.catalog.packages import age_on
from checkup.services.exam import report_pdf, reports, results

# Acme's group checkup: generated employees (deterministic), each with a signed, published report from
# about a year ago and one from the last two months, so reports show year-over-year trends.
HISTORY_SEED = 20240415
HISTORY_EMPLOYEES = 32
SURNAMES = [
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
]
GIVEN_NAMES = {
    "male": [
        ("建国", "jianguo"),
        ("志强", "zhiqiang"),
        ("海涛", "haitao"),
        ("俊杰", "junjie"),
        ("文博", "wenbo"),
        ("宇航", "yuhang"),
        ("国栋", "guodong"),
        ("晓东", "xiaodong"),
        ("子豪", "zihao"),
        ("振华", "zhenhua"),
        ("立新", "lixin"),
        ("明辉", "minghui"),
        ("鹏飞", "pengfei"),
        ("嘉伟", "jiawei"),
        ("永刚", "yonggang"),
        ("天宇", "tianyu"),
        ("德明", "deming"),
        ("春生", "chunsheng"),
    ],
    "female": [
        ("秀英", "xiuying"),
        ("丽华", "lihua"),
        ("晓燕", "xiaoyan"),
        ("玉兰", "yulan"),
        ("欣怡", "xinyi"),
        ("梦琪", "mengqi"),
        ("雅婷", "yating"),
        ("慧敏", "huimin"),
        ("春梅", "chunmei"),
        ("佳怡", "jiayi"),
        ("淑珍", "shuzhen"),
        ("雪莹", "xueying"),
        ("海燕", "haiyan"),
        ("思雨", "siyu"),
        ("美玲", "meiling"),
        ("桂芳", "guifang"),
    ],
}
HISTORY_JOBS = [
    ("Assembly", "Assembly worker"),
    ("Quality", "Quality inspector"),
    ("Finance", "Accountant"),
    ("Engineering", "Engineer"),
    ("Warehouse", "Warehouse keeper"),
    ("Human Resources", "HR specialist"),
    ("Sales", "Sales manager"),
]
HISTORY_STREETS = ["莘松路", "七莘路", "都市路", "沪闵路", "春申路", "莘庄路", "漕宝路", "虹梅南路"]
HISTORY_TAGS = ["smoker", "night-shift", "drinker", "noise-exposure", "overweight"]
HISTORY_BATCH = 4  # employees per group-checkup morning
# text items: (normal wording, [abnormal findings]); other text items are "No abnormality found."
HISTORY_TEXT = {
    "INT-EXAM": (
        "Heart and lungs normal on auscultation; abdomen soft, liver and spleen not palpable.",
        ["Grade 2/6 systolic murmur at the apex."],
    ),
    "SURG-EXAM": (
        "No abnormality of skin, lymph nodes, thyroid, spine or limbs.",
        ["Varicose veins of the left lower leg."],
    ),
    "ENT-EXAM": ("Ears, nose and throat normal.", ["Chronic pharyngitis."]),
    "ORAL-EXAM": ("Teeth and gums healthy.", ["Dental calculus; gingivitis."]),
    "SLIT": ("Cornea clear, lens transparent.", ["Pinguecula, right eye."]),
    "FUNDUS": ("Optic disc and retina normal.", ["Retinal arteriosclerosis, grade I."]),
    "ECG": ("Sinus rhythm, normal ECG.", ["Sinus bradycardia.", "Incomplete right bundle branch block."]),
    "DR-CHEST": (
        "No abnormality in heart, lungs or diaphragm.",
        ["Small calcified nodule in the right upper lobe, likely old lesion."],
    ),
    "US-ABD": (
        "Liver, gallbladder, pancreas and spleen normal.",
        ["Mild fatty liver.", "Gallbladder polyp, 4 mm.", "Hepatic cyst, 8 mm."],
    ),
    "US-URO": ("Kidneys, ureters and bladder normal.", ["Small left renal cyst.", "Right kidney stone, 5 mm."]),
    "US-THY": ("Thyroid normal in size and echo.", ["Thyroid nodule, right lobe, 6 mm (TI-RADS 3)."]),
    "US-CAROTID": (
        "Carotid intima-media thickness normal, no plaque.",
        ["Small plaque at the left carotid bifurcation."],
    ),
    "US-BREAST": ("Both breasts normal.", ["Bilateral breast hyperplasia.", "Left breast nodule (BI-RADS 3)."]),
    "US-GYN": ("Uterus and ovaries normal.", ["Uterine fibroid, 15 mm."]),
    "US-PROS": ("Prostate normal in size.", ["Mild prostatic hyperplasia."]),
    "GYN-EXAM": ("No abnormality found.", ["Cervical erosion (ectropion)."]),
    "TCT": (
        "Negative for intraepithelial lesion or malignancy (NILM).",
        ["Atypical squamous cells of undetermined significance (ASC-US)."],
    ),
}
TEXT_ABNORMAL_RATE = {"US-ABD": 0.22, "US-THY": 0.15, "US-BREAST": 0.15, "US-PROS": 0.12}
CHOICE_ABNORMAL_RATE = {"C13-UBT": 0.25}
# where "normal" starts, as a share of the upper limit, for items with only an upper limit
UPPER_ONLY_FLOOR = {
    "WAIST": Decimal("0.80"),
    "TC": Decimal("0.62"),
    "LDL-C": Decimal("0.5"),
    "TG": Decimal("0.35"),
    "TBIL": Decimal("0.3"),
    "HCY": Decimal("0.45"),
}
# the one critical value of the history (the checkup "important abnormal result" for blood pressure)
CRITICAL_VISIT = {"SBP": "184", "DBP": "104"}
CRITICAL_LAST_YEAR = {"SBP": "152", "DBP": "94"}
# the demo client's checkup a year before the one of ten days ago (see PAST_RESULTS)
LAST_YEAR_RESULTS = {
    "HEIGHT": "165",
    "WEIGHT": "60.5",
    "BMI": "22.2",
    "TC": "5.34",
    "TG": "1.58",
    "ALT": "35",
    "US-ABD": "Liver, gallbladder, pancreas and spleen normal.",
}
LAST_YEAR_SUMMARY = (
    "Overall in good health. Total cholesterol slightly raised; other results normal.\n"
    "总体健康状况良好。总胆固醇轻度升高，其余结果未见异常。"
)
LAST_YEAR_ADVICE = (
    "Eat less fat and more vegetables, exercise regularly, and recheck blood lipids at next "
    "year's checkup.\n少吃油腻，多吃蔬菜，规律运动，明年体检时复查血脂。"
)


def _weekday_after(day):
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def _weekday_before(day):
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    return day


def _history_people(rng, taken_names):
    """(name, pinyin, sex, birth date) for the generated employees: unique names, none of the demo's."""
    people = []
    while len(people) < HISTORY_EMPLOYEES:
        sex = "female" if rng.random() < 0.45 else "male"
        surname, surname_py = rng.choice(SURNAMES)
        given, given_py = rng.choice(GIVEN_NAMES[sex])
        name = surname + given
        if name in taken_names:
            continue
        taken_names.add(name)
        birth = datetime.date(rng.randint(1965, 2000), rng.randint(1, 12), rng.randint(1, 28))
        people.append((name, f"{surname_py}.{given_py}", sex, birth))
    return people


def _history_clients(rng, acme):
    taken = {row["name"] for row in demo_data.CLIENTS} | {DEMO_CLIENT["name"]}
    taken |= {name.split(" ")[0] for _email, name, _roles in ACCOUNTS}
    clients = []
    for index, (name, pinyin, sex, birth) in enumerate(_history_people(rng, taken)):
        department, occupation = HISTORY_JOBS[index % len(HISTORY_JOBS)]
        tags = sorted({rng.choice(HISTORY_TAGS) for _ in range(rng.randint(0, 2))})
        clients.append(
            Client.create(
                name=name,
                sex=sex,
                birth_date=birth,
                phone=f"139{rng.randrange(10**8):08d}",
                email=f"{pinyin}{index + 1:02d}@example.com",
                address=f"上海市闵行区{rng.choice(HISTORY_STREETS)}{rng.randint(1, 99) * 10}弄"
                f"{rng.randint(1, 30)}号{rng.randint(1, 18)}0{rng.randint(1, 4)}室",
                occupation=occupation,
                organization=acme,
                employee_no=f"A{101 + index:04d}",
                department=department,
                value_tier="general",
                tags=",".join(tags),
            )
        )
    return clients


def _places(value):
    return max(-value.as_tuple().exponent, 0) if value is not None else 0


def _position(rng):
    """Where a value sits in its range: 0..1 normal, above 1 high, below 0 low (about 12 % abnormal)."""
    draw = rng.random()
    if draw < 0.08:
        return rng.uniform(1.04, 1.45)
    if draw < 0.12:
        return -rng.uniform(0.03, 0.15)
    return rng.uniform(0.08, 0.92)


def _numeric_value(item, row, position):
    """A value for ``position`` (see _position) in the range ``row``; never critical."""
    low, high = (row.low, row.high) if row else (None, None)
    p = Decimal(str(round(position, 4)))
    if low is not None and high is not None:
        value = low + p * (high - low)
        if low == 0 and value < 0:
            value = (high - low) * Decimal("0.1")
    elif high is not None:
        floor = UPPER_ONLY_FLOOR.get(item.code, Decimal("0.2"))
        value = high * (floor + (1 - floor) * p) if p <= 1 else high * p
    elif low is not None:
        span = Decimal("0.3") if item.code.startswith("VA-") else abs(low) * Decimal("0.5") or Decimal(1)
        value = low + span * p
    else:
        return None
    places = max(_places(low), _places(high))
    if item.code.startswith("VA-"):
        places = 1
    value = value.quantize(Decimal(1).scaleb(-places))
    if row.critical_high is not None and value >= row.critical_high:
        value = (row.critical_high * Decimal("0.9")).quantize(Decimal(1).scaleb(-places))
    if row.critical_low is not None and value <= row.critical_low:
        value = (row.critical_low * Decimal("1.1")).quantize(Decimal(1).scaleb(-places))
    return format(value, "f")


class _Profile:
    """One person's tendencies, so this year's values follow last year's."""

    def __init__(self, rng, client, calm=False):
        self.rng = rng
        self.calm = calm  # every value normal (overrides aside)
        self.height = rng.gauss(172, 6) if client.sex == "male" else rng.gauss(160, 5)
        self.positions = {}
        self.texts = {}

    def position(self, code, year):
        rng = self.rng
        if self.calm:
            self.positions[code] = rng.uniform(0.15, 0.85)
        elif code not in self.positions:
            self.positions[code] = _position(rng)
            if code == "DBP" and "SBP" in self.positions:
                self.positions[code] = min(self.positions["SBP"] + rng.gauss(0, 0.12), 1.3)
        elif year:
            before = self.positions[code]
            self.positions[code] = before + rng.gauss(0, 0.07) if rng.random() < 0.95 else _position(rng)
        return self.positions[code]

    def text(self, item, year):
        rng = self.rng
        if item.code in self.texts and (year == 0 or rng.random() < 0.8):
            return self.texts[item.code]
        if item.result_type == "choice":
            choices = item.choice_list
            abnormal = not self.calm and rng.random() < CHOICE_ABNORMAL_RATE.get(item.code, 0.03)
            value = (choices[-1] if item.code == "HPV" else choices[1]) if abnormal else choices[0]
        else:
            normal, findings = HISTORY_TEXT.get(item.code, ("No abnormality found.", []))
            abnormal = bool(findings) and not self.calm and rng.random() < TEXT_ABNORMAL_RATE.get(item.code, 0.05)
            value = rng.choice(findings) if abnormal else normal
        self.texts[item.code] = (value, abnormal)
        return self.texts[item.code]


def _visit_values(profile, items, ranges, client, day, year, overrides):
    """{item code: (text, abnormal)} for every item of a visit; height, weight and BMI agree."""
    age = age_on(client.birth_date, day)
    values = {}
    for item in items:
        if item.result_type != "numeric":
            values[item.code] = profile.text(item, year)
            continue
        row = results.range_for(ranges.get(item.id, []), client.sex, age)
        values[item.code] = (_numeric_value(item, row, profile.position(item.code, year)) or "0", False)
    codes = {item.code for item in items}
    if {"HEIGHT", "WEIGHT", "BMI"} <= codes:
        height = Decimal(str(round(profile.height)))
        square = (height / 100) ** 2
        weight = (Decimal(values["BMI"][0]) * square).quantize(Decimal("0.1"))
        values["HEIGHT"], values["WEIGHT"] = (format(height, "f"), False), (format(weight, "f"), False)
        values["BMI"] = (format((weight / square).quantize(Decimal("0.1")), "f"), False)
    for code, value in overrides.items():
        if code in codes:
            values[code] = value if isinstance(value, tuple) else (value, False)
    return values


def _history_report_text(abnormal):
    """(summary, advice) in English and Chinese for [(item, value text, flag)]."""
    if not abnormal:
        return ("No significant abnormality found in this checkup.\n本次体检未见明显异常。", GENERAL_ADVICE)
    en, zh = [], []
    for item, text, flag in abnormal[:8]:
        unit = f" {item.unit}" if item.result_type == "numeric" and item.unit else ""
        shown = f"{text}{unit}" if item.result_type == "numeric" else text.rstrip(".")
        en.append(f"{item.name_en} {shown} ({FLAG_WORDS[flag][0]})")
        shown_zh = shown if item.result_type == "numeric" else FINDINGS_ZH.get(text, text)
        zh.append(f"{item.name_zh} {shown_zh}（{FLAG_WORDS[flag][1]}）")
    more = len(abnormal) - 8
    summary = (
        "Abnormal results: "
        + "; ".join(en)
        + (f"; and {more} more" if more > 0 else "")
        + ".\n"
        + "异常结果："
        + "；".join(zh)
        + (f"；另有{more}项" if more > 0 else "")
        + "。"
    )
    codes = {item.code for item, _text, _flag in abnormal}
    if codes & {"SBP", "DBP"} and any(flag == "HH" for _i, _t, flag in abnormal):
        summary = (
            "Critical value: blood pressure markedly raised. The client was phoned on the day of the exam "
            "and referred to cardiology.\n血压危急值，已于体检当日电话通知本人并转诊心内科。\n" + summary
        )
    paragraphs = [f"{text_en}\n{text_zh}" for group, text_en, text_zh in ADVICE if codes & group]
    if codes - set().union(*(group for group, _en, _zh in ADVICE)):
        paragraphs.append(OTHER_ADVICE)
    return summary, "\n\n".join(paragraphs + [GENERAL_ADVICE])


def _utc(day, time):
    return clock.local(day, time).astimezone(datetime.UTC).replace(tzinfo=None)


def _history_visit(doctor, counselor, client, slot, package_code, values_fn, context, texts=None):
    """A completed appointment with every item resulted (bulk insert, flags by the station rules) and its
    report signed two days later (back-dated, not yet rendered); returns the report's id. A critical value
    gets its alert, acknowledged by the care team; ``texts`` = (summary, advice) instead of generated ones."""
    day = slot.day
    offer = booking.quote(client, package_code)
    morning = _utc(day, slot.start_time) + datetime.timedelta(minutes=20)
    appointment = Appointment.create(
        exam_code=booking._new_exam_code(day),
        client=client,
        slot=slot,
        day=day,
        live_day=None,
        package=offer.package,
        status=COMPLETED,
        source="desk",
        total_price=offer.total,
        company_amount=0,
        self_amount=offer.total,
        booked_by=context["scheduler"].id,
        created_at=morning - datetime.timedelta(days=16),
        updated_at=morning,
    )
    AppointmentItem.insert_many(
        [
            {
                "appointment": appointment.id,
                "item": line.item.id,
                "price": line.price,
                "payer": line.payer,
                "is_addon": line.is_addon,
                "resource": line.item.resource_id,
            }
            for line in offer.lines
        ]
    ).execute()
    items = [line.item for line in offer.lines]
    values = values_fn(items)
    age = age_on(client.birth_date, day)
    rows, abnormal = [], []
    for index, item in enumerate(items):
        text, marked = values[item.code]
        text = in_language(text, accounts.language_of_client(client.id)) if item.result_type == "text" else text
        flag, row, number = results.flag_for(
            item, client.sex, age, text, abnormal=marked, ranges=context["ranges"].get(item.id, [])
        )
        lab = context["departments"][item.department_id].startswith("LAB-")
        rows.append(
            dict(
                appointment=appointment.id,
                item=item.id,
                value_text=text,
                value_num=number,
                unit=item.unit,
                flag=flag,
                ref_low=row.low if row else None,
                ref_high=row.high if row else None,
                entered_by=doctor.user_id,
                entered_at=morning + datetime.timedelta(minutes=(90 if lab else 5) + index),
                source="instrument" if lab else "station",
            )
        )
        if flag not in ("", "N"):
            abnormal.append((item, text, flag))
    for batch in chunked(rows, 60):
        Result.insert_many(batch).execute()
    abnormal.sort(key=lambda entry: (entry[2] not in ("HH", "LL"), entry[0].code))
    summary, advice = texts or _history_report_text(abnormal)
    signed_at = min(
        _utc(_weekday_after(day + datetime.timedelta(days=2)), datetime.time(16, 10)), context["signed_by_then"]
    )
    report = reports.sign(doctor, appointment.id, summary, advice, signed_at=signed_at, queue_job=False)
    Report.update(created_at=signed_at - datetime.timedelta(hours=1)).where(Report.id == report.id).execute()
    critical = [item for item, _text, flag in abnormal if flag in ("HH", "LL")]
    for result in Result.select().where(Result.appointment == appointment.id, Result.flag.in_(["HH", "LL"])):
        CriticalAlert.create(
            result=result.id,
            appointment=appointment.id,
            created_at=result.entered_at,
            acknowledged_by=counselor.id,
            acknowledged_at=result.entered_at + datetime.timedelta(minutes=25),
            note="Phoned the client: no chest pain or headache; cardiology visit booked for the same afternoon.",
        )
    if context["close_follow_ups"] or critical:
        query = FollowUp.update(
            status="closed",
            assignee=counselor.id,
            closed_at=signed_at + datetime.timedelta(days=3),
            outcome="Phoned the client and explained the results; recheck advised.",
        )
        query = query.where(FollowUp.report == report.id)
        if not context["close_follow_ups"]:
            query = query.where(FollowUp.level == "A")
        query.execute()
    return report.id


def seed_history(demo_client, physician, scheduler, counselor):
    """Acme's group checkups of last year and this year, and the demo client's checkup of last year: every
    report signed by the physician and published with its PDF. Returns the appointments made."""
    rng = random.Random(HISTORY_SEED)
    doctor = Actor(physician, "127.0.0.1")
    today = clock.today()
    ranges = {}
    for row in ReferenceRange.select():
        ranges.setdefault(row.item_id, []).append(row)
    now = clock.now().astimezone(datetime.UTC).replace(tzinfo=None)
    context = {
        "signed_by_then": now - datetime.timedelta(hours=1),
        "ranges": ranges,
        "scheduler": scheduler,
        "close_follow_ups": True,
        "departments": {d.id: d.code for d in Department.select()},
    }
    slots = {}

    def slot_for(day, start):
        if (day, start) not in slots:
            end = (datetime.datetime.combine(day, start) + datetime.timedelta(hours=1)).time()
            slots[day, start] = Slot.create(day=day, start_time=start, end_time=end, capacity=20)
        return slots[day, start]

    with db.atomic():
        acme = Organization.get(Organization.name == "Acme Manufacturing")
        employees = _history_clients(rng, acme)
    critical_client = min((c for c in employees if c.sex == "male"), key=lambda c: c.birth_date)
    plans = []  # (client, package, this year's day, last year's day, start time, profile)
    for index, client in enumerate(employees):
        batch = index // HISTORY_BATCH
        if index % HISTORY_BATCH == 0:
            this_day = _weekday_before(today - datetime.timedelta(days=4 + 7 * batch))
            last_day = this_day - datetime.timedelta(days=364 + 7 * rng.randint(0, 2))
        older = age_on(client.birth_date, today) >= 45
        package = ("COMP-" if older else "BASIC-") + ("M" if client.sex == "male" else "F")
        start = datetime.time(7, 30) if index % 2 == 0 else datetime.time(9, 30)
        plans.append((client, package, this_day, last_day, start, _Profile(rng, client)))

    report_ids, made = [], 0
    # last year first: this year's signatures then find those values for the trend column
    for year in (0, 1):
        context["close_follow_ups"] = year == 0
        for client, package, this_day, last_day, start, profile in plans:
            day = this_day if year else last_day
            overrides = {}
            if client.id == critical_client.id:
                overrides = CRITICAL_VISIT if year else CRITICAL_LAST_YEAR
            with db.atomic():
                report_id = _history_visit(
                    doctor,
                    counselor,
                    client,
                    slot_for(day, start),
                    package,
                    lambda items, p=profile, c=client, d=day, y=year, o=overrides: _visit_values(
                        p, items, ranges, c, d, y, o
                    ),
                    context,
                )
            report_ids.append(report_id)
            made += 1
        if year == 0:  # the demo client's checkup a year before the one of ten days ago (see _exam_day)
            day = _weekday_before(today - datetime.timedelta(days=10)) - datetime.timedelta(days=364)
            profile = _Profile(random.Random(HISTORY_SEED + 1), demo_client, calm=True)
            with db.atomic():
                report_ids.append(
                    _history_visit(
                        doctor,
                        counselor,
                        demo_client,
                        slot_for(day, datetime.time(8, 30)),
                        "BASIC-F",
                        lambda items: _visit_values(profile, items, ranges, demo_client, day, 0, LAST_YEAR_RESULTS),
                        context,
                        texts=(LAST_YEAR_SUMMARY, LAST_YEAR_ADVICE),
                    )
                )
            made += 1
    with db.atomic():
        # published as the PDF turns ready, written directly: no "report ready" mail or survey for the past
        # (seed_care writes the past survey answers)
        Report.update(status="published").where(Report.id.in_(report_ids), Report.status == "signed").execute()
        for report_id in report_ids:
            report_pdf.render_report_pdf(report_id)
    return made
