"""Every address an email links to, under CHECKUP_BASE_URL.

Emails are composed by workers, outside any request, where ``url_for`` has no host to build on; so the
paths live here, in one table, and tests/web/test_links.py matches each against the app's routes: a
renamed route cannot leave a dead link in an email."""

from urllib.parse import quote

from flask import current_app


def absolute(path: str) -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/") + path


def sign_in(next_path: str = "") -> str:
    return absolute("/login" + (f"?next={quote(next_path)}" if next_path else ""))


def forgot_password() -> str:
    return absolute("/password/forgot")


def password_reset(token: str) -> str:
    return absolute(f"/password/reset/{token}")


def registration_confirm(token: str) -> str:
    return absolute(f"/register/confirm/{token}")


def my_appointments() -> str:
    return absolute("/me/appointments")


def waitlist_offer(token: str) -> str:
    return absolute(f"/me/waitlist/offer/{token}")


def survey(token: str) -> str:
    return absolute(f"/survey/{token}")


def preferences(token: str) -> str:
    return absolute(f"/preferences/{token}")


def invitation(token: str) -> str:
    return absolute(f"/invite/{token}")


def group_booking_path(enrollment_id: int) -> str:
    """Where an invited employee books (a path: it is also the ``next`` of a sign-in link)."""
    return f"/me/group/{enrollment_id}/book"
