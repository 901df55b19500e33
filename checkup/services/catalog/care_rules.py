"""The admin's follow-up rule table and advice-snippet library."""

from flask_babel import lazy_gettext as _l

from checkup.core import audit
from checkup.core.errors import NotFound, ValidationError
from checkup.models import AdviceSnippet, FollowUpRule
from checkup.models.base import db

LEVELS = ("A", "B", "C")
# the shipped rule per finding kind: (level, hours until the follow-up is due)
DEFAULT_RULES = {
    "critical": ("A", 24),
    "significant": ("B", 7 * 24),
    "mild": ("C", 30 * 24),
    "observation": ("C", 30 * 24),
}
KIND_ORDER = {"critical": 0, "significant": 1, "mild": 2, "observation": 3}
MAX_DUE_HOURS = 24 * 365


def follow_up_rules():
    """{kind: (level, due_hours)} from the admin's table, falling back to the shipped defaults."""
    rules = dict(DEFAULT_RULES)
    for rule in FollowUpRule.select():
        rules[rule.kind] = (rule.level, rule.due_hours)
    return rules


def rule_table():
    """[(kind, level, due_hours)] in severity order, the admin's rows over the shipped defaults."""
    rules = follow_up_rules()
    return [(kind, *rules[kind]) for kind in sorted(rules, key=lambda k: KIND_ORDER.get(k, 99))]


def set_rule(actor, kind, level, due_hours):
    """Change what a kind of finding calls for; applies to reports signed from now on."""
    if kind not in DEFAULT_RULES:
        raise NotFound(_l("No such rule."))
    errors = {}
    if level not in LEVELS:
        errors["level"] = _l("Choose level A, B or C.")
    if not isinstance(due_hours, int) or not 1 <= due_hours <= MAX_DUE_HOURS:
        errors["due_hours"] = _l("Enter a whole number of hours from 1 to %(max)s.", max=MAX_DUE_HOURS)
    if errors:
        raise ValidationError(next(iter(errors.values())), errors)
    before = follow_up_rules()[kind]
    with db.atomic():
        updated = FollowUpRule.update(level=level, due_hours=due_hours).where(FollowUpRule.kind == kind).execute()
        if not updated:
            FollowUpRule.create(kind=kind, level=level, due_hours=due_hours)
        audit.record(actor, "care.rule_changed", None, kind=kind, before=list(before), after=[level, due_hours])


def snippets():
    """The advice library by key, as (id, key, text_en, text_zh) named tuples."""
    fields = (AdviceSnippet.id, AdviceSnippet.key, AdviceSnippet.text_en, AdviceSnippet.text_zh)
    return list(AdviceSnippet.select(*fields).order_by(AdviceSnippet.key).namedtuples())


def save_snippet(actor, key, text_en, text_zh, snippet_id=None):
    """Create or change advice text keyed by item code and direction, e.g. ``GLU:H`` or ``US-LIVER:A``."""
    key = (key or "").strip().upper()
    errors = {}
    if not key or len(key) > 40 or ":" not in key or key.split(":", 1)[1] not in ("H", "L", "A", "HH", "LL"):
        errors["key"] = _l("Use an item code and a direction, such as GLU:H, TSH:L or US-LIVER:A.")
    if not (text_en or "").strip() and not (text_zh or "").strip():
        errors["text_en"] = _l("Write the advice in at least one language.")
    clash = AdviceSnippet.select().where(AdviceSnippet.key == key)
    if snippet_id:
        clash = clash.where(AdviceSnippet.id != snippet_id)
    if key and clash.exists():
        errors["key"] = _l("There is already advice for %(key)s.", key=key)
    if errors:
        raise ValidationError(next(iter(errors.values())), errors)
    with db.atomic():
        if snippet_id:
            snippet = AdviceSnippet.get_or_none(AdviceSnippet.id == snippet_id)
            if snippet is None:
                raise NotFound(_l("No such advice."))
            snippet.key, snippet.text_en, snippet.text_zh = key, text_en.strip(), (text_zh or "").strip()
            snippet.save()
        else:
            snippet = AdviceSnippet.create(key=key, text_en=(text_en or "").strip(), text_zh=(text_zh or "").strip())
        audit.record(actor, "care.advice_saved", snippet, key=key)
    return snippet


def delete_snippet(actor, snippet_id):
    with db.atomic():
        snippet = AdviceSnippet.get_or_none(AdviceSnippet.id == snippet_id)
        if snippet is None:
            raise NotFound(_l("No such advice."))
        snippet.delete_instance()
        audit.record(actor, "care.advice_deleted", None, key=snippet.key)
