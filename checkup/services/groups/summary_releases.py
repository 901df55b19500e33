"""Released versions of a contract's group summary: the only way a group summary reaches anyone.

A summary is computed when the center releases it, never on a request: when the contract closes (the
"group_document.after_close" task: the final release) or when a scheduler or admin releases an
interim version while it runs. A release is numbered (1, 2, ... per contract) and frozen: its figures
as published (``SummaryRelease.figures_json``) and its documents, PDF and XLSX in every language of
the portal, rendered from those figures by the task table. HR lists, views and downloads released
versions; nothing HR does computes anything, so asking twice gives the same bytes.

An interim release is refused unless at least k people (``CHECKUP_SUPPRESSION_K``) changed in what
the findings count since the previous release: completed with a signed report, or counted on another
report version. The final release is always made once a checkup of the contract was completed.
Every release's figures pass suppression and are checked against every earlier release, so that no
difference between two releases isolates fewer than k people (``group_summary.figures``).
"""

import json
import threading
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from peewee import SQL, IntegrityError, Select, fn

from checkup.core import audit, tasks
from checkup.core.arguments import storable_id
from checkup.core.errors import Conflict, NotFound, PermissionDenied
from checkup.core.prepared import PreparedSelect
from checkup.models import Enrollment, GroupDocument, Report, SummaryRelease
from checkup.models.accounts import ADMIN, SCHEDULER
from checkup.models.appointments import COMPLETED
from checkup.models.base import db
from checkup.models.groups import ACTIVE, FINAL, INTERIM
from checkup.services.groups import group_documents, group_summary

LIST_LIMIT = 50


def figures_of(release):
    return json.loads(release.figures_json)


# what a list of releases shows: not their frozen figures nor counted people (thousands of pairs each)
_LISTED = (
    SummaryRelease.id,
    SummaryRelease.contract,
    SummaryRelease.number,
    SummaryRelease.reason,
    SummaryRelease.k,
    SummaryRelease.completed,
    SummaryRelease.counted,
    SummaryRelease.released_by,
    SummaryRelease.released_at,
)


def _releases_select(contract_id):
    return (
        SummaryRelease.select(*_LISTED)
        .where(SummaryRelease.contract == contract_id)
        .order_by(SummaryRelease.number.desc())
        .limit(LIST_LIMIT)
    )


def _latest_counted_select(contract_id):
    return (
        SummaryRelease.select(*_LISTED, SummaryRelease.counted_json)
        .where(SummaryRelease.contract == contract_id)
        .order_by(SummaryRelease.number.desc())
        .limit(1)
    )


# the contract page reads both on every view: their SQL built once per process
_RELEASES = PreparedSelect(_releases_select, "checkup_release_list", samples=(-2_000_016_301,))
_LATEST_COUNTED = PreparedSelect(_latest_counted_select, "checkup_release_latest_counted", samples=(-2_000_016_302,))


def releases(contract_id):
    """The contract's releases, newest first (one query), without their figures and counted people."""
    return _RELEASES.rows(contract_id)


def _latest_select(contract_id):
    return (
        SummaryRelease.select()
        .where(SummaryRelease.contract == contract_id)
        .order_by(SummaryRelease.number.desc())
        .limit(1)
    )


_LATEST = PreparedSelect(_latest_select, "checkup_release_latest", samples=(-2_000_016_303,))


def latest(contract_id):
    return next(iter(_LATEST.rows(contract_id)), None)


def _latest_counted(contract_id):
    """The contract's latest release (None before the first) with whom it counted, not its figures."""
    return next(iter(_LATEST_COUNTED.rows(contract_id)), None)


# {a release's counted_json: its (appointment, report) pairs}: a release is frozen once written, so what it
# counted is parsed once per process (a 10,000-employee contract's is thousands of pairs), a few kept; keyed
# by the text itself, which names what it holds whatever database the release came from
_counted_pairs: dict[str, frozenset] = {}
_counted_lock = threading.Lock()
_COUNTED_KEPT = 8


def _counted_of(release):
    """The (appointment id, report id) pairs ``release`` counted (frozenset)."""
    pairs = _counted_pairs.get(release.counted_json)
    if pairs is None:
        pairs = frozenset((int(a), r) for a, r in json.loads(release.counted_json).items())
        with _counted_lock:
            while len(_counted_pairs) >= _COUNTED_KEPT:
                _counted_pairs.pop(next(iter(_counted_pairs)))
            _counted_pairs[release.counted_json] = pairs
    return pairs


def get_release(contract_id, number, organization_id=None):
    """(contract, release ``number`` of it); NotFound for a missing one, or another organization's
    contract when ``organization_id`` is given (HR's scope)."""
    contract = group_documents.contract_for(contract_id, organization_id)
    release = (
        SummaryRelease.get_or_none(SummaryRelease.contract == contract.id, SummaryRelease.number == number)
        if storable_id(number)
        else None
    )
    if release is None:
        raise NotFound(_l("No such release of the summary."))
    return contract, release


# --- may the center release now? -------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """Where an interim release stands: the previous release (or None), how many people changed in
    the findings' count since (before the first release: counted up to k, see ``progress``), and how many it
    takes (k)."""

    previous: object
    changed: int
    k: int

    @property
    def missing(self):
        return max(0, self.k - self.changed)


def changed_people(counted_then, counted_now):
    """How many people are counted in one of two releases and not the other, or on another report."""
    then = {int(appointment): report for appointment, report in counted_then.items()}
    return _changed(then.items(), counted_now)


def _changed(pairs_then, counted_now):
    # the (appointment, report) pairs in one and not the other, then their appointments (set operations:
    # a 10,000-employee contract has thousands of them and the contract page asks on every view)
    return len({appointment for appointment, _report in pairs_then ^ counted_now.items()})


def progress(contract, listed=None):
    """``Progress`` of ``contract`` towards its next interim release (two queries), read afresh on every call
    (the previous release's counted people, frozen, are parsed once per process). Before the first release,
    the people counted now are counted up to k only: past k the number decides nothing and is shown nowhere
    (``interim_refusal``), and a 10,000-employee contract's thousands of reports are not read for it.
    ``listed``: the contract's ``releases`` read just before, if any: none listed is no previous release,
    and the query for it is not asked."""
    k = group_summary.suppression_k()
    previous = None if listed is not None and not listed else _latest_counted(contract.id)
    if previous is None:
        return Progress(None, _counted_people_up_to(contract.id, k), k)
    return Progress(previous, _changed(_counted_of(previous), group_summary.counted_reports(contract.id)), k)


def _counted_people_select(contract_id, most):
    """The count of ``_counted_people_up_to`` as a select (an appointment is one enrollment's: the contract
    enrolls a client once)."""
    reported = Report.select(SQL("1")).where(
        Report.appointment == Enrollment.appointment, Report.status.in_(group_summary.REPORTED_STATUSES)
    )
    people = (
        Enrollment.select(SQL("1"))
        .where(Enrollment.contract == contract_id, Enrollment.status == COMPLETED, fn.EXISTS(reported))
        .limit(most)
    )
    return Select((people.alias("counted_people"),), (fn.COUNT(SQL("1")),)).bind(db)


# the contract page asks it on every view before the first release: its SQL built once per process
_COUNTED_PEOPLE = PreparedSelect(
    _counted_people_select, "checkup_release_counted_people", samples=(-2_000_000_001, -2_000_000_002)
)


def _counted_people_up_to(contract_id, most):
    """How many people ``group_summary.counted_reports`` counts (completed, with a signed or published
    report), up to ``most``: one query that stops reading there."""
    return _COUNTED_PEOPLE.plain(contract_id, most)[0][0]


def interim_refusal(contract, state=None, listed=None):
    """Why an interim summary cannot be released now (a user-facing message), or None when it can
    (``listed``: as for ``progress``)."""
    if contract.status != ACTIVE:
        return _l(
            "An interim summary can be released only while the contract is active; the final one is "
            "released when it closes."
        )
    state = state or progress(contract, listed)
    if state.missing:
        if state.previous is None:
            return _l(
                "The first summary can be released once at least %(k)d employees have completed their "
                "checkup with a signed report (%(n)d so far): a smaller group could single someone out.",
                k=state.k,
                n=state.changed,
            )
        return _l(
            "Release %(number)d is still current: a new one needs at least %(k)d more employees with a "
            "completed checkup and a signed report (%(n)d so far), so that comparing the two cannot single "
            "anyone out.",
            number=state.previous.number,
            k=state.k,
            n=state.changed,
        )
    return None


# --- releasing ---------------------------------------------------------------------------------------


def _release(actor, contract, reason):
    """Compute, freeze and number a release; owe its documents. In the caller's transaction."""
    earlier = list(
        SummaryRelease.select().where(SummaryRelease.contract == contract.id).order_by(SummaryRelease.number)
    )
    figures, counted = group_summary.figures(
        contract.id, earlier=[(figures_of(r), json.loads(r.counted_json)) for r in earlier]
    )
    try:
        with db.atomic():
            release = SummaryRelease.create(
                contract=contract.id,
                number=(earlier[-1].number if earlier else 0) + 1,
                reason=reason,
                k=figures["k"],
                completed=figures["participation"][0]["total"]["completed"]["n"],
                counted=len(counted),
                figures_json=json.dumps(figures, ensure_ascii=False, sort_keys=True),
                counted_json=json.dumps({str(a): r for a, r in counted.items()}, sort_keys=True),
                released_by=actor.user_id,
            )
    except IntegrityError:  # two releases at once: the number was taken by the other
        raise Conflict(_l("Another release of this summary was made meanwhile; reload the page.")) from None
    group_documents.owe_summary_documents(release)
    audit.record(
        actor,
        "group.summary_released",
        release,
        contract=contract.id,
        number=release.number,
        reason=reason,
        counted=release.counted,
    )
    return release


def release_interim(actor, contract_id):
    """Release the contract's summary now (center staff, contract active); returns the release.

    Raises PermissionDenied (not an admin or scheduler), NotFound, or Conflict with the reason when
    fewer than k people changed since the previous release (``interim_refusal``)."""
    if actor.user is None or not actor.user.has_role(ADMIN, SCHEDULER):
        raise PermissionDenied(_l("Only the center's administrators and schedulers may do this."))
    with db.atomic():
        contract = group_documents.contract_for(contract_id)
        reason = interim_refusal(contract)
        if reason:
            raise Conflict(reason)
        return _release(actor, contract, INTERIM)


def release_final(contract_id):
    """The contract's final release (owed by closing it), made once: a second call returns the first.
    None when no checkup of the contract was completed; otherwise always made, whatever changed since
    the last interim release (its figures are checked against every earlier release all the same)."""
    with db.atomic():
        contract = group_documents.contract_for(contract_id)
        existing = SummaryRelease.get_or_none(SummaryRelease.contract == contract.id, SummaryRelease.reason == FINAL)
        if existing is not None:
            return existing
        if not group_summary.has_completed_exam(contract.id):
            return None
        return _release(audit.SYSTEM, contract, FINAL)


@tasks.handler("group_document.after_close")
def release_for_closed_contract(contract_id):
    """Task owed by closing a contract: the final release and its documents. Returns the documents
    ([] when no checkup was completed)."""
    release = release_final(contract_id)
    if release is None:
        return []
    return list(GroupDocument.select().where(GroupDocument.release == release.id).order_by(GroupDocument.id))


# --- reading a release -------------------------------------------------------------------------------


def view(actor, contract_id, number=None, organization_id=None):
    """(contract, release, data) of release ``number`` (default: the latest) for the on-screen view, in
    the current language, made from its frozen figures; audited. ``release`` and ``data`` are None while
    nothing was released. NotFound for a missing release or contract (or another organization's)."""
    if number is None:
        contract = group_documents.contract_for(contract_id, organization_id)
        release = latest(contract.id)
    else:
        contract, release = get_release(contract_id, number, organization_id)
    if release is None:
        return contract, None, None
    audit.record(actor, "group.summary_viewed", release, contract=contract.id, number=release.number)
    return contract, release, group_summary.present(figures_of(release), release)
