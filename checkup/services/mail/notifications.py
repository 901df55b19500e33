"""Emails to accounts (welcome or registration link, a registration attempt, password reset, staff
invitation): task handlers taking a user id.

A link that sets a password is minted when the email is sent, so no token is ever stored in the
task table or a queue; a retried send mints a fresh one.
"""

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from checkup.core import links, tasks
from checkup.models import User
from checkup.services.accounts import accounts
from checkup.services.mail import messages


def _send_to_user(user, kind, subject_fn, template, **context):
    with force_locale(accounts.language_of(user)):
        text = render_template(template, user=user, center=current_app.config["CENTER_NAME"], **context)
        return messages.send_owed(kind, user.email, subject_fn(), text, client_id=user.client_id, user_id=user.id)


@tasks.handler("mail.welcome")
def send_welcome_email(user_id, consents=()):
    """A pending registration gets the link that confirms it (minted now, carrying the consents ticked
    on the form); an account that is already open, the plain welcome."""
    user = User.get_or_none(User.id == user_id)
    if user is None:
        return None
    center = current_app.config["CENTER_NAME"]
    if user.registration_pending:
        token = accounts.issue_confirmation_token(user, consents)
        return _send_to_user(
            user,
            "welcome",
            lambda: _("Confirm your email address for %(center)s", center=center),
            "email/confirm_registration.txt",
            confirm_url=links.registration_confirm(token),
            hours=accounts.CONFIRMATION_MINUTES // 60,
        )
    return _send_to_user(
        user,
        "welcome",
        lambda: _("Welcome to %(center)s", center=center),
        "email/welcome.txt",
        login_url=links.sign_in(),
    )


@tasks.handler("mail.account_exists")
def send_account_exists(user_id):
    """Someone registered with the address of an existing account: its owner hears of it (the register
    page said nothing). No link is minted: the reset link comes from the forgot-password page, so these
    emails cannot be used to cancel the owner's own reset link."""
    user = User.get_or_none(User.id == user_id)
    if user is None or not user.is_active:
        return None
    return _send_to_user(
        user,
        "account_exists",
        lambda: _("Someone tried to register with your email address"),
        "email/account_exists.txt",
        login_url=links.sign_in(),
        forgot_url=links.forgot_password(),
    )


@tasks.handler("mail.password_reset")
def send_password_reset(user_id):
    user = User.get_or_none(User.id == user_id)
    if user is None or not user.is_active:
        return None
    token = accounts.issue_reset_token(user)
    return _send_to_user(
        user,
        "password_reset",
        lambda: _("Reset your password"),
        "email/password_reset.txt",
        reset_url=links.password_reset(token),
        minutes=current_app.config["PASSWORD_RESET_MINUTES"],
    )


@tasks.handler("mail.account_invitation")
def send_account_invitation(user_id):
    user = User.get_or_none(User.id == user_id)
    if user is None or not user.is_active:
        return None
    token = accounts.issue_reset_token(user, minutes=accounts.INVITATION_MINUTES)
    return _send_to_user(
        user,
        "account_invitation",
        lambda: _("Your %(center)s staff account", center=current_app.config["CENTER_NAME"]),
        "email/account_invitation.txt",
        reset_url=links.password_reset(token),
        minutes=accounts.INVITATION_MINUTES,
    )
