"""The form round trip of a view: validate the form, call the service, and say how it went.

A view reads::

    outcome = submit(form, lambda: accounts.set_roles(actor(), user.id, form.roles.data))
    if outcome.done:
        flash(_("Roles saved."), "success")
        return redirect(url_for("admin_accounts.detail", user_id=user.id), code=303)
    return render_page("admin/account_detail.html", form=form, status=outcome.status)

The service's field messages land beside the fields; a message no field owns is ``outcome.form_error``,
for the top of the form. Which refusals become messages is the caller's choice (``refusals``); any other
domain error goes on to the app's error pages (a NotFound stays a 404).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from checkup.core.errors import DomainError, ValidationError


def apply_errors(form, error: DomainError) -> bool:
    """Put a service's field errors next to the fields; returns True if any were placed."""
    placed = False
    for name, message in error.field_errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors) + [message]
            placed = True
    return placed


def place_refusal(form, error: DomainError):
    """Field messages beside their fields; returns the refusal's message when no field owns one, else None."""
    return None if apply_errors(form, error) else error.message


@dataclass(frozen=True)
class Outcome:
    """How one submission went. ``status`` is what the page shown again answers: 200 for a form shown
    for the first time, 422 once anything is wrong (the form did not parse, or the service refused)."""

    submitted: bool  # the request sent the form (a POST), rather than asking for it
    done: bool = False  # the service accepted it
    result: Any = None  # what the service returned
    error: DomainError | None = None  # the service's refusal
    form_error: Any = None  # the refusal's message when no field owns it (for the top of the form)

    @property
    def invalid(self) -> bool:
        """Sent, but the form itself did not parse: the service was not asked."""
        return self.submitted and not self.done and self.error is None

    @property
    def status(self) -> int:
        return 422 if self.submitted and not self.done else 200


def submit(form, action: Callable[[], Any], refusals: tuple[type[DomainError], ...] = (ValidationError,)) -> Outcome:
    """Validate ``form`` (nothing happens unless it was sent); when it parses, call ``action()`` — the
    service, which reads the form's data. One of ``refusals`` raised by it is placed on the form (its field
    messages beside the fields, or ``form_error``); any other exception propagates untouched."""
    if not form.validate_on_submit():
        return Outcome(submitted=form.is_submitted())
    try:
        result = action()
    except refusals as error:
        return Outcome(submitted=True, error=error, form_error=place_refusal(form, error))
    return Outcome(submitted=True, done=True, result=result)


def refusal_of(error: DomainError) -> dict:
    """A refusal a page shows beside its form without WTForms (message and field messages); a missing object
    stays a 404 (the error is raised again)."""
    if error.status == 404:
        raise error
    return {"message": str(error.message), "fields": {k: str(v) for k, v in error.field_errors.items()}}
