"""Consents: the client's privacy page, and the manage/unsubscribe page every email links to (no sign-in;
the signed token in the address names the client)."""
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from checkup.blueprints.guards import actor, render_page, roles_required
from checkup.extensions import csrf, limiter
from checkup.forms.privacy import ConsentForm
from checkup.models.accounts import CLIENT
from checkup.models.care import CONSENT_PURPOSES
from checkup.services import consents
from checkup.services.errors import NotFound

bp = Blueprint("privacy", __name__)


def _own_client_id():
    if not current_user.client_id:
        raise NotFound(_("No client record is linked to this account."))
    return current_user.client_id


def _saved_message(changed):
    if changed:
        return _("Your choices are saved. They apply from now on."), "success"
    return _("Nothing changed: these were already your choices."), "info"


@bp.get("/me/privacy", endpoint="index")
@roles_required(CLIENT)
def index():
    client_id = _own_client_id()
    rows = consents.latest_rows(client_id)
    form = ConsentForm.for_client({p: row is not None and row.granted for p, row in rows.items()})
    return render_page("privacy/index.html", form=form, rows=rows, purposes=CONSENT_PURPOSES,
                       history=consents.history(client_id), labels=consents.PURPOSE_LABELS,
                       explanations=consents.PURPOSE_EXPLANATIONS, sources=consents.SOURCE_LABELS)


@bp.post("/me/privacy", endpoint="save")
@roles_required(CLIENT)
def save():
    client_id = _own_client_id()
    form = ConsentForm()
    changed = consents.record_changes(actor(), client_id, form.answers(), "privacy_page")
    flash(*_saved_message(changed))
    return redirect(url_for("privacy.index"), code=303)


# --- the manage link (no sign-in) --------------------------------------------------------------------

def _preferences_page(client, status=200):
    form = ConsentForm.for_client(consents.current(client.id))
    return render_page("privacy/preferences.html", form=form, token=request.view_args["token"],
                       purposes=CONSENT_PURPOSES, labels=consents.PURPOSE_LABELS,
                       explanations=consents.PURPOSE_EXPLANATIONS, masked_name=consents.mask_name(client.name),
                       masked_email=consents.mask_email(client.email), status=status)


@bp.get("/preferences/<token>", endpoint="preferences")
def preferences(token):
    return _preferences_page(consents.client_for_token(token))


@bp.post("/preferences/<token>", endpoint="preferences_save")
@limiter.limit("60/hour")
def preferences_save(token):
    client = consents.client_for_token(token)
    if request.form.get("action") == "unsubscribe_all":
        consents.withdraw_marketing(actor(), client.id, "unsubscribe_link")
        flash(_("You are unsubscribed from all marketing email. No further newsletter or offer will be sent."),
              "success")
    else:
        changed = consents.record_changes(actor(), client.id, ConsentForm().answers(), "unsubscribe_link")
        flash(*_saved_message(changed))
    return redirect(url_for("privacy.preferences", token=token), code=303)


@bp.post("/preferences/<token>/unsubscribe", endpoint="one_click_unsubscribe")
@csrf.exempt  # RFC 8058: the mail program POSTs "List-Unsubscribe=One-Click"; the signed token is the credential
@limiter.limit("60/hour")
def one_click_unsubscribe(token):
    client = consents.client_for_token(token)
    consents.withdraw_marketing(actor(), client.id, "unsubscribe_link")
    flash(_("You are unsubscribed from all marketing email. No further newsletter or offer will be sent."), "success")
    return _preferences_page(client)
