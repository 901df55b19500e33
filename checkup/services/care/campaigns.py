"""Email campaigns: compose a draft with a segment, preview who it reaches, send it in the background and
count what came of it (sent, bounced, unsubscribed, booked within 30 days).

Only clients whose marketing consent is in force when their batch is sent receive it (and it is checked
once more just before each message). Every message is claimed by ``campaign:<id>:<client>`` before it
goes out, so a retried or restarted job never sends anyone the campaign twice.
"""

import datetime
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from peewee import JOIN, SQL, NodeList, PostgresqlDatabase, fn

from checkup.core import audit, tasks
from checkup.core.arguments import valid_id
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.core.prepared import PreparedSelect
from checkup.models import Appointment, Campaign, Client, Consent, Message, User
from checkup.models.base import db, utcnow
from checkup.models.care import DRAFT, FAILED, HEALTH_TARGETING, MARKETING_EMAIL, QUEUED, SENDING, SENT
from checkup.services.accounts import accounts, consents
from checkup.services.care import campaign_segments
from checkup.services.mail import messages

KINDS = ("newsletter", "lecture", "seasonal")
KIND_LABELS = {
    "newsletter": _l("Health newsletter"),
    "lecture": _l("Lecture invitation"),
    "seasonal": _l("Seasonal package"),
}
STATUS_LABELS = {
    DRAFT: _l("Draft"),
    QUEUED: _l("Queued"),
    SENDING: _l("Sending"),
    SENT: _l("Sent"),
    FAILED: _l("Failed"),
}
BUSY = (QUEUED, SENDING)
FIELDS = ("name", "kind", "subject", "body")
BODY_MAX = 20000
BATCH_SIZE = 50
BOOKING_WINDOW_DAYS = 30
STALLED_MINUTES = 15


@dataclass
class Counts:
    sent: int = 0
    bounced: int = 0
    failed: int = 0  # the mail server did not take it (yet): retried automatically, see messages.retry_failed
    gave_up: int = 0  # not delivered, and not tried again (attempts used up, or it may have gone out)
    withdrawn: int = 0  # not retried: the client withdrew consent after the first attempt
    unsubscribed: int = 0
    booked: int = 0


# --- reading ----------------------------------------------------------------------------------------


def get_campaign(campaign_id):
    campaign = Campaign.get_or_none(Campaign.id == campaign_id)
    if campaign is None:
        raise NotFound(_l("No such campaign."))
    return campaign


def _list_query():
    return (
        Campaign.select(Campaign, User.name.alias("author"))
        .join(User, on=(Campaign.created_by == User.id), join_type=JOIN.LEFT_OUTER)
        .order_by(Campaign.id.desc())
        .objects()
    )


_LIST = PreparedSelect(_list_query, "checkup_campaign_list", samples=())


def list_campaigns():
    """Every campaign, newest first, with its author and counts: a fixed number of queries (each built once
    per process, prepared on PostgreSQL)."""
    rows = _LIST.rows()
    counts = campaign_counts([c.id for c in rows])
    return [(campaign, counts[campaign.id]) for campaign in rows]


def _plus_days(column, days):
    """``column`` + ``days`` days in SQL (PostgreSQL interval arithmetic; SQLite's strftime)."""
    if isinstance(db.obj, PostgresqlDatabase):
        return NodeList((column, SQL(f"+ INTERVAL '{int(days)} days'")))
    return fn.strftime("%Y-%m-%d %H:%M:%f", column, f"+{int(days)} days")


def _by_status_query(*campaign_ids):
    no_retry = Message.retry_at.is_null()
    return (
        Message.select(Message.campaign, Message.status, no_retry, fn.COUNT(Message.id))
        .where(Message.campaign.in_(campaign_ids))
        .group_by(Message.campaign, Message.status, no_retry)
    )


def _unsubscribed_query(*campaign_ids):
    return (
        Message.select(Message.campaign, fn.COUNT(fn.DISTINCT(Consent.client)))
        .join(Consent, on=(Consent.client == Message.client))
        .where(
            Message.campaign.in_(campaign_ids),
            Consent.purpose == MARKETING_EMAIL,
            Consent.granted == False,
            Consent.source == "unsubscribe_link",
            Consent.at >= Message.created_at,
        )
        .group_by(Message.campaign)
    )


def _booked_query(*campaign_ids):
    return (
        Message.select(Message.campaign, fn.COUNT(fn.DISTINCT(Appointment.client)))
        .join(Appointment, on=(Appointment.client == Message.client))
        .where(
            Message.campaign.in_(campaign_ids),
            Message.status == "sent",
            Appointment.created_at >= Message.created_at,
            Appointment.created_at <= _plus_days(Message.created_at, BOOKING_WINDOW_DAYS),
        )
        .group_by(Message.campaign)
    )


# the counts' queries built once per process for a few numbers of campaigns (the ids padded with -1, which
# no campaign has), prepared on PostgreSQL; more campaigns than the largest size: built for the call
_COUNT_SIZES = (1, 4, 16, 64)
_COUNTS = {
    size: tuple(
        PreparedSelect(build, f"checkup_campaign_{kind}_{size}", tuple(-2_000_000_900 - i for i in range(size)))
        for kind, build in (
            ("by_status", _by_status_query),
            ("unsubscribed", _unsubscribed_query),
            ("booked", _booked_query),
        )
    )
    for size in _COUNT_SIZES
}


def _count_rows(campaign_ids):
    """The three counts' rows (by status, unsubscribed, booked) for ``campaign_ids``."""
    size = next((size for size in _COUNT_SIZES if size >= len(campaign_ids)), None)
    if size is None:
        return [list(build(*campaign_ids).tuples()) for build in (_by_status_query, _unsubscribed_query, _booked_query)]
    padded = list(campaign_ids) + [-1] * (size - len(campaign_ids))
    return [prepared.plain(*padded) for prepared in _COUNTS[size]]


def campaign_counts(campaign_ids):
    """{campaign id: Counts}: three grouped queries, whatever the number of campaigns.

    Unsubscribed: recipients who withdrew marketing consent through an email link after their message.
    Booked: recipients of a delivered message who made an appointment within 30 days after it.
    """
    counts = {cid: Counts() for cid in campaign_ids}
    if not campaign_ids:
        return counts
    by_status, unsubscribed, booked = _count_rows(campaign_ids)
    for cid, status, final, number in by_status:
        if status == "failed" and final:
            status = "gave_up"
        if status in ("sent", "bounced", "failed", "gave_up", "withdrawn"):
            setattr(counts[cid], status, getattr(counts[cid], status) + number)
    for cid, number in unsubscribed:
        counts[cid].unsubscribed = number
    for cid, number in booked:
        counts[cid].booked = number
    return counts


@dataclass(frozen=True, slots=True)
class Author:
    """A campaign's author as its page shows them: the name."""

    name: str


def _with_author_query(campaign_id):
    return (
        Campaign.select(Campaign, User.name.alias("author_name"))
        .join(User, on=(Campaign.created_by == User.id), join_type=JOIN.LEFT_OUTER)
        .where(Campaign.id == campaign_id)
        .objects()
    )


# one campaign with its author's name (the list's join), built once per process and prepared on PostgreSQL
_WITH_AUTHOR = PreparedSelect(_with_author_query, "checkup_campaign_with_author")


def detail(campaign_id):
    """The campaign, its segment (and its description), its counts and, for a draft, the audience now; the
    campaign and its author's name in one statement."""
    campaign = next(iter(_WITH_AUTHOR.rows(campaign_id)), None) if valid_id(campaign_id) else None
    if campaign is None:
        raise NotFound(_l("No such campaign."))
    segment = campaign_segments.load(campaign.segment_json)
    author_name = campaign.author_name if campaign.created_by_id else None
    author = Author(author_name) if author_name is not None else None
    audience = campaign_segments.preview(segment) if campaign.status == DRAFT else None
    return {
        "campaign": campaign,
        "segment": segment,
        "description": campaign_segments.describe(segment),
        "counts": campaign_counts([campaign.id])[campaign.id],
        "author": author,
        "audience": audience,
    }


def progress(campaign_id):
    """The campaign and its counts, for the polling status fragment."""
    campaign = get_campaign(campaign_id)
    return campaign, campaign_counts([campaign.id])[campaign.id]


# --- composing ---------------------------------------------------------------------------------------


def _clean(values):
    data, errors = {}, {}
    for name in FIELDS:
        value = values.get(name)
        data[name] = value.strip() if isinstance(value, str) else ""
    for name in ("name", "subject", "body"):
        if not data[name]:
            errors[name] = _l("This field is required.")
    for name, limit in (("name", 200), ("subject", 200), ("body", BODY_MAX)):
        if len(data[name]) > limit:
            errors[name] = _l("Use at most %(max)d characters.", max=limit)
    if "\n" in data["subject"] or "\r" in data["subject"]:
        errors["subject"] = _l("The subject must be one line.")
    if data["kind"] not in KINDS:
        errors["kind"] = _l("Choose one from the list.")
    return data, errors


def save_draft(actor, values, segment_values, campaign_id=None):
    """Create (or, while still a draft, change) a campaign. Raises ValidationError with field errors for
    the message and the segment together, NotFound, or Conflict once it has been sent."""
    data, errors = _clean(values)
    try:
        segment = campaign_segments.clean_segment(segment_values)
    except ValidationError as exc:
        errors.update(exc.field_errors)
        segment = None
    campaign = get_campaign(campaign_id) if campaign_id is not None else None
    if campaign is not None and campaign.status != DRAFT:
        raise Conflict(_l("This campaign has been sent; it can no longer be changed."))
    if errors:
        raise ValidationError(_l("Please correct the fields marked below."), errors)
    data["segment_json"] = campaign_segments.dump(segment)
    with db.atomic():
        if campaign is None:
            campaign = Campaign.create(created_by=actor.user_id, **data)
            audit.record(actor, "campaign.created", campaign, name=data["name"], kind=data["kind"], segment=segment)
        else:
            changed = Campaign.update(**data).where(Campaign.id == campaign.id, Campaign.status == DRAFT).execute()
            if not changed:
                raise Conflict(_l("This campaign has been sent; it can no longer be changed."))
            audit.record(actor, "campaign.updated", campaign, name=data["name"], kind=data["kind"], segment=segment)
    return get_campaign(campaign.id)


# --- sending -----------------------------------------------------------------------------------------


def queue_send(actor, campaign_id):
    """Freeze a draft and hand it to the send job. Raises Conflict unless it is a draft, ValidationError
    when its segment reaches nobody right now."""
    campaign = get_campaign(campaign_id)
    if campaign.status != DRAFT:
        raise Conflict(_l("This campaign has already been sent."))
    count = campaign_segments.audience(campaign_segments.load(campaign.segment_json)).count()
    if count == 0:
        raise ValidationError(
            _l("No client with marketing consent matches this segment; there is nobody to send it to.")
        )
    with db.atomic():
        queued = (
            Campaign.update(status=QUEUED, queued_at=utcnow(), target_count=count)
            .where(Campaign.id == campaign.id, Campaign.status == DRAFT)
            .execute()
        )
        if not queued:
            raise Conflict(_l("This campaign has already been sent."))
        audit.record(actor, "campaign.sent", campaign, target_count=count, name=campaign.name)
        tasks.defer("campaign.send", campaign.id, caused_by=actor.user_id)
    return get_campaign(campaign.id)


def _locales(client_ids):
    """Each client's language by the one rule (accounts.language_of), in one query for the batch."""
    rows = User.select(User.client, User.locale).where(User.client.in_(client_ids))
    return {user.client_id: accounts.language_of(user) for user in rows}


def refresh_progress(campaign_id):
    """Store the campaign's sent and bounced counts (the progress bar reads them)."""
    counts = campaign_counts([campaign_id])[campaign_id]
    Campaign.update(sent_count=counts.sent, bounced_count=counts.bounced).where(Campaign.id == campaign_id).execute()


def _still_consents(client_id, purposes):
    return all(consents.has_consent(client_id, purpose) for purpose in purposes)


def purposes_of(segment):
    """The consents a campaign to ``segment`` needs: marketing, and health targeting if findings choose."""
    return [MARKETING_EMAIL] + ([HEALTH_TARGETING] if segment and segment["finding_item_id"] else [])


def may_still_receive(campaign_id, client_id):
    """For a retried message: does the client still consent to everything the campaign needs?"""
    campaign = Campaign.get_or_none(Campaign.id == campaign_id)
    segment = campaign_segments.load(campaign.segment_json) if campaign else None
    return segment is not None and _still_consents(client_id, purposes_of(segment))


def unreached(segment, campaign_id):
    """The segment's audience now, less the clients the campaign already has a message for (an anti-join:
    one probe of the message's client index per client, never ``NOT IN`` over the campaign's messages)."""
    reached = Message.select(SQL("1")).where(Message.client == Client.id, Message.campaign == campaign_id)
    return campaign_segments.audience(segment).where(~fn.EXISTS(reached))


messages.CAMPAIGN_RULES["still_wanted"] = may_still_receive
messages.campaign_messages_sent.connect(refresh_progress)


@tasks.handler("campaign.send", lease_minutes=60)
def send_campaign(campaign_id):
    """The send task: queued → sending → sent, in batches of BATCH_SIZE clients.

    Each batch is chosen afresh from the segment and the consents in force, skipping clients the campaign
    already reached; consent is checked once more right before each message. Idempotent: a retry or a
    second worker sends nobody twice (the Message row is claimed first). Returns the number sent now.
    Database and unexpected errors propagate, so the task is retried.
    """
    campaign = Campaign.get_or_none(Campaign.id == campaign_id)
    if campaign is None or campaign.status not in BUSY:
        return 0
    segment = campaign_segments.load(campaign.segment_json)
    if segment is None:
        Campaign.update(status=FAILED, finished_at=utcnow()).where(Campaign.id == campaign.id).execute()
        audit.record(audit.SYSTEM, "campaign.failed", campaign, reason="unreadable segment")
        return 0
    Campaign.update(status=SENDING).where(Campaign.id == campaign.id, Campaign.status.in_(BUSY)).execute()
    purposes = purposes_of(segment)
    sent_now, last_id = 0, 0
    while True:
        batch = list(unreached(segment, campaign.id).where(Client.id > last_id).order_by(Client.id).limit(BATCH_SIZE))
        if not batch:
            break
        locales = _locales([c.id for c in batch])
        for client in batch:
            if not _still_consents(client.id, purposes):
                continue  # withdrawn after the batch was chosen
            message = messages.send_once(
                client,
                "campaign",
                f"campaign:{campaign.id}:{client.id}",
                campaign.subject,
                campaign.body,
                campaign_id=campaign.id,
                locale=locales.get(client.id) or accounts.language_of(None),
                one_click=True,
            )
            if message is not None and message.status == "sent":
                sent_now += 1
        last_id = batch[-1].id
        refresh_progress(campaign.id)
    refresh_progress(campaign.id)
    finished = (
        Campaign.update(status=SENT, finished_at=utcnow())
        .where(Campaign.id == campaign.id, Campaign.status == SENDING)
        .execute()
    )
    if finished:
        counts = campaign_counts([campaign.id])[campaign.id]
        audit.record(
            audit.SYSTEM, "campaign.finished", campaign, sent=counts.sent, bounced=counts.bounced, failed=counts.failed
        )
    return sent_now


@tasks.handler("campaign.requeue_stalled")
def requeue_stalled_campaigns(older_than_minutes=STALLED_MINUTES):
    """Periodic sweeper: a queued or sending campaign with no new message for a while (its task dead, or
    a database restored from before it was sent): owe its sending again. Safe because sending is idempotent. Returns the ids."""
    cutoff = utcnow() - datetime.timedelta(minutes=older_than_minutes)
    last_message = (
        Message.select(Message.campaign, fn.MAX(Message.created_at).alias("last_at"))
        .where(Message.campaign.is_null(False))
        .group_by(Message.campaign)
        .alias("last_message")
    )
    stalled = (
        Campaign.select(Campaign.id)
        .join(last_message, join_type=JOIN.LEFT_OUTER, on=(last_message.c.campaign_id == Campaign.id))
        .where(
            Campaign.status.in_(BUSY),
            Campaign.queued_at <= cutoff,
            last_message.c.last_at.is_null() | (last_message.c.last_at <= cutoff),
        )
        .order_by(Campaign.id)
        .tuples()
    )
    ids = [cid for (cid,) in stalled]
    for cid in ids:
        tasks.defer("campaign.send", cid)
    return ids
