"""The desk booking page's GET reads its arguments without building DeskBookingForm
(desk_booking.asked_form): every value the page reads or prints is what the form gave, on plain, empty,
repeated, malformed and hostile arguments, with CSRF on and off, in English and Chinese."""

import pytest
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from checkup.blueprints.desk.desk_booking import asked_form
from checkup.forms.booking import DeskBookingForm

ARGUMENTS = [
    [],
    [("package", "BASIC")],
    [("package", ""), ("day", ""), ("addons", ""), ("idempotency_key", ""), ("allow_second", "")],
    [("package", "A"), ("package", "B"), ("day", "2026-12-15")],
    [("day", "2026-1-5")],
    [("day", "bad")],
    [("day", "2026-12-15"), ("day", "2026-12-16")],
    [("day", "2026-02-30")],
    [("addons", "X1"), ("addons", "<b>"), ("addons", "")],
    [("idempotency_key", 'abc"<'), ("idempotency_key", "second")],
    [("allow_second", "y")],
    [("allow_second", "false")],
    [("allow_second", "no")],
    [("slot", "abc"), ("other", "1")],
]


@pytest.mark.parametrize("csrf", [False, True])
@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("pairs", ARGUMENTS)
def test_asked_form_reads_what_the_form_read(app, pairs, language, csrf):
    app.config["WTF_CSRF_ENABLED"] = csrf
    args = MultiDict(pairs)
    with app.test_request_context("/desk/clients/1/book"), force_locale(language):
        form, asked = DeskBookingForm(formdata=args), asked_form(args)
        for name in ("package", "day", "idempotency_key", "allow_second"):
            assert getattr(asked, name).data == getattr(form, name).data, name
        assert (asked.addons.data or []) == (form.addons.data or [])
        assert list(asked.package.errors) == list(form.package.errors) == []
        assert list(asked.slot.errors) == list(form.slot.errors) == []
        assert str(asked.allow_second.label.text) == str(form.allow_second.label.text)
        assert str(asked.allow_second.description) == str(form.allow_second.description)
        assert str(asked.csrf_token) == str(getattr(form, "csrf_token", ""))  # none with CSRF off (printed empty)
