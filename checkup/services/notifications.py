"""Emails sent to people; each function is a job taking ids."""
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from checkup.models import User
from checkup.services import accounts, mail


def _link(path):
    return current_app.config["BASE_URL"].rstrip("/") + path


def _send_to_user(user, subject_fn, template, **context):
    with force_locale(accounts.language_of(user)):
        text = render_template(template, user=user, center=current_app.config["CENTER_NAME"], **context)
        return mail.send(user.email, subject_fn(), text)


def send_welcome_email(user_id):
    user = User.get_or_none(User.id == user_id)
    if user is None:
        return None
    return _send_to_user(user, lambda: _("Welcome to %(center)s", center=current_app.config["CENTER_NAME"]),
                         "email/welcome.txt", login_url=_link("/login"))


def send_password_reset(user_id, token):
    user = User.get_or_none(User.id == user_id)
    if user is None:
        return None
    return _send_to_user(user, lambda: _("Reset your password"), "email/password_reset.txt",
                         reset_url=_link(f"/password/reset/{token}"),
                         minutes=current_app.config["PASSWORD_RESET_MINUTES"])


def send_account_invitation(user_id, token):
    user = User.get_or_none(User.id == user_id)
    if user is None:
        return None
    return _send_to_user(user, lambda: _("Your %(center)s staff account", center=current_app.config["CENTER_NAME"]),
                         "email/account_invitation.txt", reset_url=_link(f"/password/reset/{token}"),
                         minutes=accounts.INVITATION_MINUTES)
