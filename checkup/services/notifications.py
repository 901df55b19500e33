"""Emails to accounts (welcome, password reset, staff invitation): task handlers taking a user id.

A link that sets a password is minted when the email is sent, so no token is ever stored in the
task table or a queue; a retried send mints a fresh one.
"""
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from checkup.core import tasks
from checkup.models import User
from checkup.services import accounts, messages


def _link(path):
    return current_app.config["BASE_URL"].rstrip("/") + path


def _send_to_user(user, kind, subject_fn, template, **context):
    with force_locale(accounts.language_of(user)):
        text = render_template(template, user=user, center=current_app.config["CENTER_NAME"], **context)
        return messages.send_owed(kind, user.email, subject_fn(), text, client_id=user.client_id, user_id=user.id)


@tasks.handler("mail.welcome")
def send_welcome_email(user_id):
    user = User.get_or_none(User.id == user_id)
    if user is None:
        return None
    return _send_to_user(user, "welcome", lambda: _("Welcome to %(center)s", center=current_app.config["CENTER_NAME"]),
                         "email/welcome.txt", login_url=_link("/login"))


@tasks.handler("mail.password_reset")
def send_password_reset(user_id):
    user = User.get_or_none(User.id == user_id)
    if user is None or not user.is_active:
        return None
    token = accounts.issue_reset_token(user)
    return _send_to_user(user, "password_reset", lambda: _("Reset your password"), "email/password_reset.txt",
                         reset_url=_link(f"/password/reset/{token}"),
                         minutes=current_app.config["PASSWORD_RESET_MINUTES"])


@tasks.handler("mail.account_invitation")
def send_account_invitation(user_id):
    user = User.get_or_none(User.id == user_id)
    if user is None or not user.is_active:
        return None
    token = accounts.issue_reset_token(user, minutes=accounts.INVITATION_MINUTES)
    return _send_to_user(user, "account_invitation",
                         lambda: _("Your %(center)s staff account", center=current_app.config["CENTER_NAME"]),
                         "email/account_invitation.txt", reset_url=_link(f"/password/reset/{token}"),
                         minutes=accounts.INVITATION_MINUTES)
