"""The manage/unsubscribe page every email links to (no sign-in; the signed token in the address names the
client). The signed-in client's own privacy page is /me/privacy (me/privacy.py)."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from checkup.forms.privacy import ConsentForm
from checkup.models.care import CONSENT_PURPOSES
from checkup.services.accounts import consents
from checkup.web import link_tokens
from checkup.web.extensions import csrf, limiter
from checkup.web.guards import actor, render_page

bp = link_tokens.protect(Blueprint("preferences", __name__))


def saved_message(changed):
    """The flash after consent choices are saved, here or on the client's privacy page: (message, category)."""
    if changed:
        return _("Your choices are saved. They apply from now on."), "success"
    return _("Nothing changed: these were already your choices."), "info"


def _preferences_page(client, token, status=200):
    form = ConsentForm.for_client(consents.current(client.id))
    return render_page(
        "privacy/preferences.html",
        form=form,
        link=link_tokens.fingerprint(token),
        purposes=CONSENT_PURPOSES,
        labels=consents.PURPOSE_LABELS,
        explanations=consents.PURPOSE_EXPLANATIONS,
        masked_name=consents.mask_name(client.name),
        masked_email=consents.mask_email(client.email),
        status=status,
    )


@bp.get("/preferences", endpoint="index")
@bp.get("/preferences/<token>", endpoint="index")
def preferences(token=None):
    """The emailed link checks its token and trades it for the session (303 to /preferences without it),
    where the page is shown and saved (checkup/web/link_tokens.py)."""
    if token is not None:
        consents.client_for_token(token)  # a forged link is a 404 here
        return link_tokens.hold(link_tokens.PREFERENCES, token, "preferences.index")
    token = link_tokens.held(link_tokens.PREFERENCES)
    return _preferences_page(consents.client_for_token(token), token)


@bp.post("/preferences", endpoint="save")
@limiter.limit("60/hour")
def preferences_save():
    client = consents.client_for_token(link_tokens.held(link_tokens.PREFERENCES))
    if request.form.get("action") == "unsubscribe_all":
        consents.withdraw_marketing(actor(), client.id, "unsubscribe_link")
        flash(
            _("You are unsubscribed from all marketing email. No further newsletter or offer will be sent."), "success"
        )
    else:
        changed = consents.record_changes(actor(), client.id, ConsentForm().answers(), "unsubscribe_link")
        flash(*saved_message(changed))
    return redirect(url_for("preferences.index"), code=303)


@bp.post("/preferences/<token>/unsubscribe", endpoint="one_click_unsubscribe")
@csrf.exempt  # RFC 8058: the mail program POSTs "List-Unsubscribe=One-Click"; the signed token is the credential
@limiter.limit("60/hour")
def one_click_unsubscribe(token):
    # The address must keep the token (mail programs POST to it); the access log hides it.
    client = consents.client_for_token(token)
    consents.withdraw_marketing(actor(), client.id, "unsubscribe_link")
    link_tokens.keep(link_tokens.PREFERENCES, token)  # the page's own forms post to /preferences
    flash(_("You are unsubscribed from all marketing email. No further newsletter or offer will be sent."), "success")
    return _preferences_page(client, token)
