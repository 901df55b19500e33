"""Counselors' follow-up worklist: filters, bulk assign, the detail page with its contact log, closing,
referrals and re-check booking; the department head's view. Rules live in services/followup*.py."""

import functools
import uuid
from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, flash, get_template_attribute, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from checkup.blueprints.care import followup_detail_rows, recheck_rows
from checkup.blueprints.care.followups_rows import plain_rows
from checkup.core import clock
from checkup.core.errors import DomainError, NotFound, ValidationError
from checkup.core.i18n import localized
from checkup.forms.followups import AssignForm, AttemptForm, CloseForm, RecheckForm, ReferralForm
from checkup.models.accounts import ADMIN, COUNSELOR
from checkup.services.booking import availability, booking
from checkup.services.care import (
    followup_actions,
    followup_assignment,
    followup_detail,
    followup_worklist,
    followups,
    recheck,
    referrals,
)
from checkup.web.form_round_trip import place_refusal
from checkup.web.guards import actor, is_safe_next, render_page, restrict_blueprint

bp = Blueprint("care_followups", __name__, url_prefix="/care")
restrict_blueprint(bp, COUNSELOR, ADMIN)


@bp.context_processor
def labels():
    return {"care_label": followups.label}


@bp.after_request
def vary_on_htmx(response):
    response.vary.add("HX-Request")  # lists answer a fragment to htmx and a page otherwise: caches must tell them apart
    return response


def _number(value):
    value = value or ""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


def _filters(args):
    return followup_worklist.Filters(
        level=args.get("level", ""),
        status=args.get("status", "") or followups.OPEN,
        due=args.get("due", ""),
        department=_number(args.get("department")),
        assignee=args.get("assignee", "")[:12],
        page=_number(args.get("page")) or 1,
    ).cleaned()


def _assignee_choices(counselors):
    return [("", _("Unassigned (pool)"))] + [(str(u.id), u.name) for u in counselors]


def _assignee_value(raw):
    """ "" → None (the pool); a number → that id; anything else → 0, which no counselor has."""
    raw = raw or ""
    return None if raw == "" else (_number(raw) or 0)


def _list_context(filters, assign_form=None, error=None, department=None, viewer_catalogs=None):
    """The worklist page's data; on a department's page its links stay on that page (``viewer_catalogs``:
    the actor's viewer and the care catalogs, when the view has them already)."""
    args = filters.query_args()
    list_endpoint = "care_followups.department" if department is not None else "care_followups.index"
    if department is not None:
        args.pop("department", None)
        args["department_id"] = department.id
    # who sees what and what to choose from, in one statement
    viewer, catalogs = viewer_catalogs or followups.viewer_and_catalogs(actor())
    result, now_utc = followup_worklist.plain_worklist(actor(), filters, viewer)
    department_options = [(d.id, localized(d)) for d in catalogs.departments]
    assignee_choices = _assignee_choices(catalogs.counselors)
    return {
        "filters": filters,
        "filters_form": functools.partial(
            _filters_form, filters, args, list_endpoint, department_options, assignee_choices
        ),
        "result": result,
        "worklist_rows": plain_rows(result.items, now_utc),
        "department_options": department_options,
        "assignee_choices": assignee_choices,
        "kept_parts": functools.partial(_kept_parts, assignee_choices, assign_form),
        "assign_form": assign_form,  # only a refused assignment brings one (its errors); a view builds none
        "error": error,
        "list_args": args,
        "list_endpoint": list_endpoint,
    }


_FILTERS = "care/_followups_filters.html"
# (language, the filters' values, the list's address, the departments and counselors offered): the filters
# form as templates/care/_followups_filters.html prints it (nothing in it is the viewer's: the same for
# anyone asking the same list), kept per process once printed
_kept_filters: dict = {}
KEPT_FILTERS = 256


def _filters_form(filters, list_args, list_endpoint, department_options, assignee_choices):
    """The worklist's filters form (the full page prints it; an htmx swap of the results does not ask)."""
    key = (
        str(get_locale()),
        (filters.level, filters.status, filters.due, filters.department, filters.assignee),
        list_endpoint,
        list_args.get("department_id"),
        tuple(department_options),
        tuple(assignee_choices),
    )
    printed = _kept_filters.get(key)
    if printed is None:
        printed = Markup(
            render_template(
                _FILTERS,
                filters=filters,
                list_args=list_args,
                list_endpoint=list_endpoint,
                department_options=department_options,
                assignee_choices=assignee_choices,
            )
        )
        if len(_kept_filters) >= KEPT_FILTERS:
            _kept_filters.clear()
        _kept_filters[key] = printed
    return printed


_KEPT = "care/_followups_kept.html"
# {(language, the counselors offered): the results' table head and bulk-assign controls as
# templates/care/_followups_kept.html prints them}: nothing in them is a follow-up's or the viewer's
_kept_results_parts: dict = {}
KEPT_PARTS = 64


def _kept_parts(assignee_choices, assign_form):
    """(the results' table head, the bulk-assign controls); a refused assignment's errors printed afresh."""
    if assign_form is not None and assign_form.assignee.errors:
        return (
            get_template_attribute(_KEPT, "table_head")(),
            get_template_attribute(_KEPT, "bulk_assign")(assignee_choices, assign_form),
        )
    key = (str(get_locale()), tuple(assignee_choices))
    parts = _kept_results_parts.get(key)
    if parts is None:
        parts = (
            get_template_attribute(_KEPT, "table_head")(),
            get_template_attribute(_KEPT, "bulk_assign")(assignee_choices, None),
        )
        if len(_kept_results_parts) >= KEPT_PARTS:
            _kept_results_parts.clear()
        _kept_results_parts[key] = parts
    return parts


# --- the worklist --------------------------------------------------------------------------------------


@bp.get("/followups")
def index():
    filters = _filters(request.args)
    return render_page("care/followups.html", "care/_followups_results.html", **_list_context(filters))


@bp.post("/followups/assign")
def bulk_assign():
    form = AssignForm()
    target = request.form.get("next", "")
    target = target if is_safe_next(target) and target.startswith("/care/") else url_for("care_followups.index")
    ids = [_number(v) or 0 for v in request.form.getlist("ids")[: followup_actions.MAX_BULK + 1]]
    try:
        changed = followup_actions.assign(actor(), ids, _assignee_value(form.assignee.data))
    except NotFound:
        raise
    except DomainError as exc:
        filters = _filters(MultiDict(_query_pairs(target)))
        context = _list_context(filters, form, place_refusal(form, exc))
        return render_page("care/followups.html", status=exc.status, next_url=target, **context)
    flash(ngettext("%(num)d follow-up assigned.", "%(num)d follow-ups assigned.", changed), "success")
    return redirect(target, code=303)


def _query_pairs(url):
    return parse_qsl(urlsplit(url).query)


# --- one follow-up -------------------------------------------------------------------------------------


def _department_choices(departments):
    return [("", "—")] + [(str(d.id), d.name_en + (f" {d.name_zh}" if d.name_zh else "")) for d in departments]


def _referral_form(form=None, departments=None):
    form = form or ReferralForm()
    form.department.choices = _department_choices(
        followup_assignment.departments() if departments is None else departments
    )
    return form


class _TokenOnly(FlaskForm):
    """No field of its own: its CSRF token field prints what each fresh form of the page printed (the same
    field name and id, the request's one token), without building the three forms."""


_FORMS = "care/_followup_forms.html"
# (language, the referral form's department choices, the unreachable setting): the fields of a GET's fresh
# forms as templates/care/_followup_forms.html prints them (the same for every follow-up: no value, no error)
_kept_fields: dict = {}
KEPT_FIELDS = 32


def _fields_key(department_choices, unreachable_after):
    return (str(get_locale()), tuple(department_choices), unreachable_after)


def _form_fields(attempt_form, referral_form, close_form, unreachable_after, fresh):
    """The three forms' fields as printed HTML (the page prints them between each form's CSRF token and its
    button); ``fresh``: forms a GET built, with nothing filled in, kept per process once printed."""
    key = _fields_key(referral_form.department.choices, unreachable_after) if fresh else None
    fields = _kept_fields.get(key) if fresh else None
    if fields is None:
        fields = (
            get_template_attribute(_FORMS, "attempt_fields")(attempt_form),
            get_template_attribute(_FORMS, "referral_fields")(referral_form),
            get_template_attribute(_FORMS, "close_fields")(close_form, unreachable_after),
        )
        if fresh:
            if len(_kept_fields) >= KEPT_FIELDS:
                _kept_fields.clear()
            _kept_fields[key] = fields
    return fields


def _detail_page(follow_up_id, status=200, error=None, **forms):
    viewer, catalogs = followups.viewer_and_catalogs(actor())  # who sees what, and the forms' choices
    data = followup_detail.detail(actor(), follow_up_id, viewer)
    is_open = data.follow_up.status == "open"  # the page prints the forms of an open follow-up only
    if request.method == "GET" and not forms:  # fresh forms: their fields are kept once printed
        fields = ("", "", "")
        if is_open:
            fields = _kept_fields.get(_fields_key(_department_choices(catalogs.departments), data.unreachable_after))
        if fields is not None:  # nothing left to print but the CSRF tokens: no form built
            token_form = _TokenOnly() if is_open else None
            return _render_detail(data, catalogs, status, error, (token_form,) * 3, fields, forms)
    attempt_form = forms.get("attempt_form") or AttemptForm()
    close_form = forms.get("close_form") or CloseForm()
    referral_form = _referral_form(forms.get("referral_form"), catalogs.departments)
    fields = ("", "", "")
    if is_open:
        fresh = request.method == "GET" and not forms
        fields = _form_fields(attempt_form, referral_form, close_form, data.unreachable_after, fresh)
    return _render_detail(data, catalogs, status, error, (attempt_form, referral_form, close_form), fields, forms)


def _render_detail(data, catalogs, status, error, page_forms, fields, forms):
    attempt_form, referral_form, close_form = page_forms
    here = url_for("care_followups.detail", follow_up_id=data.follow_up.id)
    return render_page(
        "care/followups_detail.html",
        data=data,
        here=here,  # its forms post to this address and a word (url_for once; tests/care/test_followup_detail_rows)
        followups_address=here.rpartition("/")[0],
        status=status,
        error=error,
        facts=followup_detail_rows.facts(data.follow_up),  # the page's sections printed in Python
        client_facts=followup_detail_rows.client_facts(data.client),
        finding_rows=followup_detail_rows.finding_rows(data.findings) if data.findings else "",
        attempt_rows=followup_detail_rows.attempt_rows(data.attempts),
        referral_items=followup_detail_rows.referral_items(data.referrals),
        attempt_form=attempt_form,
        close_form=close_form,
        referral_form=referral_form,
        attempt_fields=fields[0],
        referral_fields=fields[1],
        close_fields=fields[2],
        assign_form=forms.get("assign_form"),  # a refused assignment's errors; the page selects the assignee itself
        assignee_choices=_assignee_choices(catalogs.counselors),
        live_recheck=recheck.live_recheck(data.follow_up, data.recheck),
    )


def _failed(follow_up_id, exc, name, form):
    """A refused action: 404 stays 404; field errors go next to the fields (422); others on top."""
    if isinstance(exc, NotFound):
        raise exc
    return _detail_page(follow_up_id, status=exc.status, error=place_refusal(form, exc), **{name: form})


def _done(follow_up_id, message):
    flash(message, "success")
    return redirect(url_for("care_followups.detail", follow_up_id=follow_up_id), code=303)


@bp.get("/followups/<int:follow_up_id>")
def detail(follow_up_id):
    return _detail_page(follow_up_id)


@bp.post("/followups/<int:follow_up_id>/take")
def take(follow_up_id):
    try:
        followup_actions.take(actor(), follow_up_id)
    except DomainError as exc:
        return _failed(follow_up_id, exc, "assign_form", AssignForm())
    return _done(follow_up_id, _("The follow-up is yours now."))


@bp.post("/followups/<int:follow_up_id>/assign")
def assign(follow_up_id):
    form = AssignForm()
    try:
        followup_actions.assign(actor(), [follow_up_id], _assignee_value(form.assignee.data))
    except DomainError as exc:
        return _failed(follow_up_id, exc, "assign_form", form)
    return _done(follow_up_id, _("Assignment saved."))


@bp.post("/followups/<int:follow_up_id>/attempts")
def log_attempt(follow_up_id):
    form = AttemptForm()
    try:
        followup_actions.log_attempt(actor(), follow_up_id, form.channel.data, form.outcome.data, form.notes.data)
    except DomainError as exc:
        return _failed(follow_up_id, exc, "attempt_form", form)
    return _done(follow_up_id, _("Contact attempt recorded."))


@bp.post("/followups/<int:follow_up_id>/close")
def close(follow_up_id):
    form = CloseForm()
    try:
        followup_actions.close(actor(), follow_up_id, form.outcome_code.data, form.note.data)
    except DomainError as exc:
        return _failed(follow_up_id, exc, "close_form", form)
    return _done(follow_up_id, _("Follow-up closed."))


@bp.post("/followups/<int:follow_up_id>/referrals")
def refer(follow_up_id):
    form = _referral_form()
    try:
        referral = referrals.create(
            actor(),
            follow_up_id,
            form.target_kind.data,
            _number(form.department.data),
            form.hospital.data,
            form.hospital_department.data,
            form.reason.data,
        )
    except DomainError as exc:
        return _failed(follow_up_id, exc, "referral_form", form)
    flash(_("Referral proposed."), "success")
    return redirect(url_for("care_referrals.detail", referral_id=referral.id), code=303)


@bp.route("/followups/<int:follow_up_id>/recheck", methods=["GET", "POST"])
def recheck_booking(follow_up_id):
    """Book a re-check: tick the items, pick a day, then a free time (like the desk's phone booking)."""
    follow_up, items, default_ids = recheck.options(actor(), follow_up_id)
    source = request.args if request.method == "GET" else request.form
    picked = "items" in source or source.get("picked") == "1"  # the form was sent, even with nothing ticked
    chosen = [n for n in (_number(v) for v in source.getlist("items")[:200]) if n] if picked else default_ids
    day = availability.parse_day(source.get("day")) or clock.today()
    form = RecheckForm(formdata=None) if request.method == "GET" else RecheckForm()
    if request.method == "GET":
        form.idempotency_key.data = uuid.uuid4().hex
    error, status = None, 200
    if request.method == "POST":
        try:
            appointment = recheck.book(actor(), follow_up.id, chosen, form.slot.data, form.idempotency_key.data)
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            error = place_refusal(form, exc)
            if "items" in exc.field_errors:  # the ticked items are no form field: their message goes on top
                error = exc.message
            status = 409 if isinstance(exc, booking.PlaceTaken) else exc.status
        else:
            flash(
                _(
                    "Re-check booked for %(day)s: exam code %(code)s.",
                    day=appointment.day.isoformat(),
                    code=appointment.exam_code,
                ),
                "success",
            )
            return redirect(url_for("care_followups.detail", follow_up_id=follow_up.id), code=303)
    try:
        resources = recheck.quote_for(follow_up, chosen, items).resource_ids if chosen else []
    except ValidationError as exc:
        error, resources = error or exc.message, []
    slots = availability.day_slots(day, resources) if chosen else []
    ticked = set(chosen)
    return render_page(
        "care/followups_recheck.html",
        follow_up=follow_up,
        items=items,
        chosen=ticked,
        item_choices=recheck_rows.item_choices(items, ticked),
        day=day,
        slots=slots,
        free_times=recheck_rows.free_times([(slot, places) for slot, places in slots if places]),
        form=form,
        error=error,
        status=status,
    )


# --- the department head's view ------------------------------------------------------------------------


@bp.get("/departments/<int:department_id>")
def department(department_id):
    # one read of the actor's head departments (with the catalogs the list offers) serves both
    viewer, catalogs = followups.viewer_and_catalogs(actor())
    department = followups.department_for_viewer(actor(), department_id, viewer)
    args = MultiDict(request.args)
    args["department"] = str(department.id)
    filters = _filters(args)
    return render_page(
        "care/followups_department.html",
        "care/_followups_results.html",
        department=department,
        sla=followups.department_sla(department.id),
        **_list_context(filters, department=department, viewer_catalogs=(viewer, catalogs)),
    )
