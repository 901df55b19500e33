"""The desk booking page's repeated markup printed in Python (#16), byte for byte what the loops of
templates/desk/book.html printed: the package options, the add-on check boxes and the free times.
Values are escaped as the template escaped them; the one label is translated once per page.
tests/booking/test_desk_book_rows.py renders the old loops beside these."""

from flask_babel import gettext
from markupsafe import Markup

from checkup.core.i18n import is_chinese
from checkup.web.html_text import escaped
from checkup.web.row_printing import localized_name, translated
from checkup.web.templating import money


def package_options(packages, code):
    """The ``<option>`` of each package (``code``'s selected), on one line."""
    chinese = is_chinese()
    return Markup(
        "".join(
            f'<option value="{escaped(p.code)}" {"selected" if p.code == code else ""}>'
            f"{escaped(localized_name(p, chinese))} · ¥{money(p.price)}</option>"
            for p in packages
        )
    )


def addon_boxes(modules, chosen):
    """A check box for each add-on module offered (``chosen`` codes ticked), each on its own line."""
    chinese = is_chinese()
    parts = []
    for module in modules:
        code = escaped(module.code)
        parts.append(
            f'\n    <label for="addon-{code}"><input type="checkbox" id="addon-{code}" name="addons" value="{code}" '
            f"{'checked' if module.code in chosen else ''}> {escaped(localized_name(module, chinese))} "
            f'<span class="muted">¥{money(module.offered_price)}</span></label>\n    '
        )
    return Markup("".join(parts))


def slot_radios(open_slots):
    """A radio button for each (slot, free places) with room, each on its own line."""
    free = translated(gettext("%(n)s free"))
    parts = []
    for slot, places in open_slots:
        number = slot.id
        parts.append(
            f'\n  <label for="slot-{number}"><input type="radio" id="slot-{number}" name="slot" value="{number}" required>'
            f" {slot.start_time.strftime('%H:%M')}–{slot.end_time.strftime('%H:%M')} ({free % {'n': places}})</label>\n  "
        )
    return Markup("".join(parts))
