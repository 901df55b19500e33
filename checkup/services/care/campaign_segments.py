"""Who a campaign reaches: a segment (age band, sex, organization, value tier, last checkup, tags and, only
with the client's consent, a finding in their latest report) intersected with the marketing consent.

A segment is a plain dict kept as JSON on the campaign. ``audience`` is evaluated at the moment it runs,
so a consent withdrawn a second ago already leaves the client out.
"""

import datetime
import json

from flask_babel import lazy_gettext as _l
from peewee import Value, fn

from checkup.core import clock
from checkup.core.errors import ValidationError
from checkup.core.i18n import is_chinese, localized
from checkup.core.labels import choice_label
from checkup.core.prepared import PreparedSelect
from checkup.models import Client, ClientFacts, ExamItem, Finding, Organization
from checkup.models.care import HEALTH_TARGETING, MARKETING_EMAIL
from checkup.models.directory import SEXES, VALUE_TIERS
from checkup.services.accounts import consents, organizations

MAX_AGE = 120
LAST_EXAM_MODES = ("", "before", "after", "none")
MAX_TAGS = 20
EMPTY: dict[str, object] = {
    "age_min": None,
    "age_max": None,
    "sex": "",
    "organization_id": None,
    "value_tiers": [],
    "last_exam": "",
    "last_exam_date": "",
    "tags": [],
    "finding_item_id": None,
}
LAST_EXAM_LABELS = {
    "": _l("Any (or none)"),
    "before": _l("Last completed checkup before the date"),
    "after": _l("A completed checkup on or after the date"),
    "none": _l("Never had a completed checkup"),
}
_MAX_ID = 2**31 - 1


# --- cleaning ---------------------------------------------------------------------------------------


def _whole(value, name, errors, low=0, high=MAX_AGE):
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        errors[name] = _l("Enter a whole number from %(low)d to %(high)d.", low=low, high=high)
        return None
    return number


def _an_id(value, name, errors, model):
    if value in (None, "", 0, "0"):
        return None
    number = _whole(value, name, errors, 1, _MAX_ID)
    if number is not None and not model.select().where(model.id == number).exists():
        errors[name] = _l("Choose one from the list.")
        return None
    return number


def _a_date(value, errors):
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value or "").strip())
    except ValueError:
        errors["last_exam_date"] = _l("Enter a date as YYYY-MM-DD.")
        return None


def split_tags(text):
    tags = []
    for tag in str(text or "").replace("，", ",").split(","):
        tag = tag.strip()
        if tag and tag.lower() not in [t.lower() for t in tags]:
            tags.append(tag[:50])
    return tags


def clean_segment(raw):
    """A valid segment from form (or stored) values; raises ValidationError with field errors."""
    raw = dict(raw or {})
    errors = {}
    segment = dict(EMPTY)
    segment["age_min"] = _whole(raw.get("age_min"), "age_min", errors)
    segment["age_max"] = _whole(raw.get("age_max"), "age_max", errors)
    if segment["age_min"] is not None and segment["age_max"] is not None and segment["age_min"] > segment["age_max"]:
        errors["age_max"] = _l("The upper age must not be below the lower one.")
    sex = str(raw.get("sex") or "")
    if sex and sex not in SEXES:
        errors["sex"] = _l("Choose one from the list.")
    segment["sex"] = sex if sex in SEXES else ""
    segment["organization_id"] = _an_id(raw.get("organization_id"), "organization_id", errors, Organization)
    tiers = raw.get("value_tiers") or []
    tiers = [tiers] if isinstance(tiers, str) else list(tiers)
    if any(t not in VALUE_TIERS for t in tiers):
        errors["value_tiers"] = _l("Choose one from the list.")
    segment["value_tiers"] = [t for t in VALUE_TIERS if t in tiers]
    mode = str(raw.get("last_exam") or "")
    if mode not in LAST_EXAM_MODES:
        errors["last_exam"] = _l("Choose one from the list.")
        mode = ""
    segment["last_exam"] = mode
    if mode in ("before", "after"):
        if raw.get("last_exam_date") in (None, ""):
            errors["last_exam_date"] = _l("Give the date the last checkup is compared with.")
        else:
            day = _a_date(raw.get("last_exam_date"), errors)
            if day is not None and not datetime.date(1900, 1, 1) <= day <= datetime.date(2100, 12, 31):
                errors["last_exam_date"] = _l("Enter a real date.")
            elif day is not None:
                segment["last_exam_date"] = day.isoformat()
    tags = raw.get("tags") or []
    tags = split_tags(tags) if isinstance(tags, str) else split_tags(",".join(map(str, tags)))
    if len(tags) > MAX_TAGS:
        errors["tags"] = _l("Use at most %(max)d tags.", max=MAX_TAGS)
    segment["tags"] = tags[:MAX_TAGS]
    segment["finding_item_id"] = _an_id(raw.get("finding_item_id"), "finding_item_id", errors, ExamItem)
    if errors:
        raise ValidationError(_l("Please correct the segment fields marked below."), errors)
    return segment


def load(segment_json):
    """The stored segment of a campaign (an unreadable one selects nobody rather than everybody)."""
    try:
        return clean_segment(json.loads(segment_json or "{}"))
    except (ValueError, TypeError, ValidationError):
        return None


def dump(segment):
    return json.dumps(segment, sort_keys=True, ensure_ascii=False)


# --- the audience -----------------------------------------------------------------------------------


def _years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def _last_exam(condition):
    """Clients whose latest completed checkup (a client fact) meets ``condition``."""
    return ClientFacts.select(ClientFacts.client).where(condition)


def _tags_expression():
    """',a,b,' from 'a, b' (the directory stores ', '-separated tags; imports may use ',')."""
    framed = Value(",").concat(Client.tags).concat(",")
    return fn.REPLACE(fn.REPLACE(framed, ", ", ","), " ,", ",")


def _latest_report_findings(item_id):
    """Clients with a finding on ``item_id`` in the report in force of their most recent reported checkup."""
    return (
        ClientFacts.select(ClientFacts.client)
        .join(Finding, on=(Finding.report == ClientFacts.latest_report))
        .where(Finding.item == item_id)
    )


def audience(segment, today=None):
    """The clients a campaign with ``segment`` would reach now: matching, with an email, and with
    marketing consent in force. A finding criterion also needs the health-targeting consent."""
    if segment is None:
        return Client.select().where(Client.id.is_null())
    today = today or clock.today()
    query = Client.select().where(Client.email != "", Client.id.in_(consents.consented_ids(MARKETING_EMAIL)))
    if segment["age_min"] is not None:
        query = query.where(Client.birth_date <= _years_before(today, segment["age_min"]))
    if segment["age_max"] is not None:
        query = query.where(Client.birth_date > _years_before(today, segment["age_max"] + 1))
    if segment["sex"]:
        query = query.where(Client.sex == segment["sex"])
    if segment["organization_id"]:
        query = query.where(Client.organization == segment["organization_id"])
    if segment["value_tiers"]:
        query = query.where(Client.value_tier.in_(segment["value_tiers"]))
    mode = segment["last_exam"]
    day = datetime.date.fromisoformat(segment["last_exam_date"]) if segment["last_exam_date"] else None
    if mode == "none":
        query = query.where(
            ~fn.EXISTS(_last_exam(ClientFacts.last_exam_day.is_null(False)).where(ClientFacts.client == Client.id))
        )
    elif mode == "after" and day:
        query = query.where(Client.id.in_(_last_exam(ClientFacts.last_exam_day >= day)))
    elif mode == "before" and day:
        query = query.where(Client.id.in_(_last_exam(ClientFacts.last_exam_day < day)))
    if segment["tags"]:
        framed = _tags_expression()
        condition = None
        for tag in segment["tags"]:
            match = framed.contains(f",{tag},")
            condition = match if condition is None else (condition | match)
        query = query.where(condition)
    if segment["finding_item_id"]:
        query = query.where(
            Client.id.in_(consents.consented_ids(HEALTH_TARGETING)),
            Client.id.in_(_latest_report_findings(segment["finding_item_id"])),
        )
    return query


def preview(segment, sample_size=5):
    """(how many clients the segment reaches now, a few masked names among them)."""
    query = audience(segment)
    count = query.count()
    names = [consents.mask_name(c.name) for c in query.select(Client.name).order_by(Client.id).limit(sample_size)]
    return count, names


def describe(segment):
    """(label, value) lines a person can read: what the segment asks for."""
    if segment is None:
        return [(_l("Segment"), _l("The stored segment could not be read; this campaign reaches nobody."))]
    lines = []
    low, high = segment["age_min"], segment["age_max"]
    if low is not None or high is not None:
        lines.append((_l("Age"), f"{low if low is not None else 0}–{high if high is not None else MAX_AGE}"))
    if segment["sex"]:
        lines.append((_l("Sex"), choice_label("sex", segment["sex"])))
    if segment["organization_id"]:
        org = Organization.get_or_none(Organization.id == segment["organization_id"])
        lines.append((_l("Organization"), org.name if org else "—"))
    if segment["value_tiers"]:
        lines.append((_l("Value tier"), ", ".join(str(choice_label("value_tier", t)) for t in segment["value_tiers"])))
    if segment["last_exam"]:
        text = str(LAST_EXAM_LABELS[segment["last_exam"]])
        lines.append((_l("Last checkup"), f"{text} {segment['last_exam_date']}".strip()))
    if segment["tags"]:
        lines.append((_l("Tags (any of)"), ", ".join(segment["tags"])))
    if segment["finding_item_id"]:
        item = ExamItem.get_or_none(ExamItem.id == segment["finding_item_id"])
        lines.append((_l("Finding in the latest report on"), f"{item.code} · {localized(item)}" if item else "—"))
    if not lines:
        lines.append((_l("Segment"), _l("Every client who agreed to marketing email")))
    return lines


def _active_items_query():
    return (
        ExamItem.select(ExamItem.id, ExamItem.code, ExamItem.name_en, ExamItem.name_zh)
        .where(ExamItem.active == True)
        .order_by(ExamItem.code)
    )


# the form's item list: built once per process, prepared on PostgreSQL, only the columns the list shows
_ACTIVE_ITEMS = PreparedSelect(_active_items_query, "checkup_campaign_active_items", samples=())


def form_choices():
    """(organizations as (id, name), exam items as (id, 'CODE · name')) for the segment form's lists."""
    chinese = is_chinese()  # what ``localized`` shows, read off plain rows
    return organizations.choices(), [
        (item_id, f"{code} · {name_zh if chinese and name_zh else name_en}")
        for item_id, code, name_en, name_zh in _ACTIVE_ITEMS.plain()
    ]
