"""The public landing of a group checkup invitation: ``/invite/<token>``, then ``/invite``.

Without an account the employee chooses a password and is signed in; with one, the link is spent and
they sign in as usual. Opened while signed in to one's own client account, it offers to use that account
(the roster's record joins it: services/enrollment_identity). Either way they land on booking their
company checkup.
"""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from checkup.blueprints.public.auth import sign_in
from checkup.core.errors import Conflict, NotFound
from checkup.forms.auth import ResetPasswordForm
from checkup.services.groups import enrollment_identity, invitation_links
from checkup.web import link_tokens
from checkup.web.extensions import limiter
from checkup.web.form_round_trip import submit
from checkup.web.guards import render_page
from checkup.web.locale import shown_locale

bp = link_tokens.protect(Blueprint("invitations", __name__))


def _booking_url(enrollment_id):
    return url_for("group_booking.book", enrollment_id=enrollment_id)


def _dead(message, status=404):
    return render_page("invitations/invalid.html", message=message, status=status)


@bp.route("/invite", methods=["GET", "POST"])
@bp.get("/invite/<token>")
@limiter.limit("60/minute", methods=["GET"])
@limiter.limit("20/hour", methods=["POST"])
def landing(token=None):
    """The emailed link checks its token and trades it for the session (303 to /invite without it), where
    the employee chooses a password (checkup/web/link_tokens.py)."""
    from_link = token is not None
    token = token if from_link else link_tokens.held(link_tokens.INVITATION)
    ip = request.remote_addr or ""
    try:
        invitation = invitation_links.open_invitation(token)
    except NotFound as exc:
        return _dead(exc.message)
    booking = _booking_url(invitation.enrollment.id)
    if invitation.account is not None:
        try:
            invitation_links.redeem_with_account(token, ip)
        except NotFound as exc:
            return _dead(exc.message)
        link_tokens.release(link_tokens.INVITATION)
        if current_user.is_authenticated and current_user.client_id == invitation.client.id:
            return redirect(booking, code=303)
        flash(_("You already have an account with us. Sign in to book your company checkup."), "info")
        return redirect(url_for("auth.login", next=booking), code=303)
    if current_user.is_authenticated and current_user.client_id:
        if from_link:
            return link_tokens.hold(link_tokens.INVITATION, token, "invitations.landing")
        return _use_account(token, invitation, ip)
    if invitation.email_taken:
        return render_page("invitations/sign_in_first.html", message=invitation_links.EMAIL_TAKEN, status=409)
    if from_link:
        return link_tokens.hold(link_tokens.INVITATION, token, "invitations.landing")
    form = ResetPasswordForm()
    try:
        outcome = submit(
            form, lambda: invitation_links.accept_invitation(token, form.password.data, shown_locale(), ip)
        )
    except NotFound as exc:
        return _dead(exc.message)
    except Conflict as exc:
        return _dead(exc.message, status=409)
    if outcome.done:
        user, enrollment = outcome.result
        sign_in(user)
        flash(_("Welcome! Your account is ready. Now choose the day of your checkup."), "success")
        return redirect(_booking_url(enrollment.id), code=303)
    return render_page(
        "invitations/set_password.html",
        form=form,
        invitation=invitation,
        link=link_tokens.fingerprint(token),
        status=outcome.status,
    )


def _use_account(token, invitation, ip):
    """Signed in to a client account: offer to use it (GET), take the enrollment into it (POST)."""
    if request.method == "POST":
        try:
            enrollment = invitation_links.use_existing_account(token, current_user, ip)
        except NotFound as exc:
            return _dead(exc.message)
        except Conflict as exc:
            return _dead(exc.message, status=409)
        link_tokens.release(link_tokens.INVITATION)
        flash(_("Your company checkup is now in your account. Choose the day of your checkup."), "success")
        return redirect(_booking_url(enrollment.id), code=303)
    return render_page(
        "invitations/use_account.html",
        invitation=invitation,
        link=link_tokens.fingerprint(token),
        offered=enrollment_identity.may_join_by_invitation(invitation.client),
    )
