"""Referrals: the list with filters, one referral with its next steps, the letter PDF and the report."""

from flask import Blueprint, flash, get_template_attribute, make_response, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from checkup.blueprints.care.referrals_rows import referral_rows
from checkup.core.errors import DomainError, NotFound
from checkup.forms.followups import DeclineForm, OutcomeForm, ScheduleForm
from checkup.models.accounts import ADMIN, COUNSELOR
from checkup.services.care import followups, referrals
from checkup.web.form_round_trip import place_refusal
from checkup.web.guards import actor, render_page, restrict_blueprint
from checkup.web.kept_markup import TokenOnlyForm

bp = Blueprint("care_referrals", __name__, url_prefix="/care/referrals")
restrict_blueprint(bp, COUNSELOR, ADMIN)
# action: (template name, form factory); the decline form is prefixed so its field ids differ from completing's
FORMS = {
    "schedule": ("schedule_form", ScheduleForm),
    "complete": ("complete_form", OutcomeForm),
    "decline": ("decline_form", lambda: DeclineForm(prefix="decline")),
}


@bp.context_processor
def labels():
    return {"care_label": followups.label, "target_text": referrals.target_text}


@bp.after_request
def vary_on_htmx(response):
    response.vary.add("HX-Request")  # lists answer a fragment to htmx and a page otherwise: caches must tell them apart
    return response


def _number(value):
    value = value or ""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


@bp.get("")
def index():
    filters = referrals.ListFilters(
        status=request.args.get("status", ""),
        target_kind=request.args.get("target", ""),
        page=_number(request.args.get("page")) or 1,
    ).cleaned()
    result = referrals.referral_list(actor(), filters)
    return render_page(
        "care/referrals.html",
        "care/_referrals_results.html",
        filters=filters,
        result=result,
        referral_rows=referral_rows(result.items),
        statuses=("open",) + referrals.OPEN_STATUSES + referrals.DECIDED_STATUSES,
    )


@bp.get("/report")
def report():
    return render_page("care/referrals_report.html", data=referrals.report())


_FIELDS = "care/_referral_fields.html"
MOVING = referrals.OPEN_STATUSES  # the statuses whose page prints the next step's forms
# {language: the fields of a GET's fresh forms as templates/care/_referral_fields.html prints them}: nothing
# in them is a referral's (no value, no error), so they are printed once per process and language
_kept_fields: dict = {}
FORMS_SHOWN = tuple(name for name, _factory in FORMS.values())


def _printed_fields(forms):
    return tuple(
        get_template_attribute(_FIELDS, macro)(forms[name])
        for macro, name in (
            ("schedule_fields", "schedule_form"),
            ("complete_fields", "complete_form"),
            ("decline_fields", "decline_form"),
        )
    )


def _detail_page(referral_id, status=200, error=None, **forms):
    referral = referrals.view(actor(), referral_id)
    if not forms and referral.status not in MOVING:  # no form printed: none built
        return _render_detail(referral, status, error, dict.fromkeys(FORMS_SHOWN), ("", "", ""))
    if not forms:  # a fresh page: its fields kept once printed, only the CSRF tokens left to print
        language = str(get_locale())
        fields = _kept_fields.get(language)
        if fields is None:
            fields = _kept_fields[language] = _printed_fields({name: factory() for name, factory in FORMS.values()})
        token_form = TokenOnlyForm()
        tokens = {
            "schedule_form": token_form,
            "complete_form": token_form,
            "decline_form": TokenOnlyForm(prefix="decline"),
        }
        return _render_detail(referral, status, error, tokens, fields)
    context = {name: forms.get(name) or form_class() for name, form_class in FORMS.values()}
    return _render_detail(referral, status, error, context, _printed_fields(context))


def _render_detail(referral, status, error, forms, fields):
    return render_page(
        "care/referrals_detail.html",
        referral=referral,
        status=status,
        error=error,
        schedule_fields=fields[0],
        complete_fields=fields[1],
        decline_fields=fields[2],
        **forms,
    )


@bp.get("/<int:referral_id>")
def detail(referral_id):
    return _detail_page(referral_id)


def _transition(referral_id, action):
    name, form_class = FORMS.get(action, (None, None))
    form = form_class() if form_class else None
    try:
        referrals.transition(
            actor(),
            referral_id,
            action,
            scheduled_for=form.scheduled_for.data if action == "schedule" else None,
            outcome=form.outcome.data if action in ("complete", "decline") else "",
        )
    except NotFound:
        raise
    except DomainError as exc:
        return _detail_page(
            referral_id,
            status=exc.status,
            error=place_refusal(form, exc) if form is not None else exc.message,
            **({name: form} if form is not None else {}),
        )
    flash(_("Referral updated."), "success")
    return redirect(url_for("care_referrals.detail", referral_id=referral_id), code=303)


@bp.post("/<int:referral_id>/accept")
def accept(referral_id):
    return _transition(referral_id, "accept")


@bp.post("/<int:referral_id>/schedule")
def schedule(referral_id):
    return _transition(referral_id, "schedule")


@bp.post("/<int:referral_id>/complete")
def complete(referral_id):
    return _transition(referral_id, "complete")


@bp.post("/<int:referral_id>/decline")
def decline(referral_id):
    return _transition(referral_id, "decline")


@bp.get("/<int:referral_id>/letter.pdf")
def letter(referral_id):
    pdf, filename = referrals.letter_pdf(actor(), referral_id)
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
