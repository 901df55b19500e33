"""The re-check booking page's lists printed in Python (#16), byte for byte what the loops of
templates/care/followups_recheck.html printed: the items one may tick (a checkup has 50-100) and the day's
free times. Values are escaped as the template escaped them; labels are translated once per page;
tests/care/test_recheck_rows.py renders the old loops beside them."""

from flask_babel import gettext
from markupsafe import Markup

from checkup.core.i18n import is_chinese
from checkup.web.html_text import escaped
from checkup.web.row_printing import translated
from checkup.web.templating import money


def item_choices(items, chosen):
    """A checkbox per item (``item_choices``' rows of services/care/recheck), ticked when its id is in
    ``chosen``; or the note that there are none."""
    if not items:
        none = translated(gettext("This checkup has no items to re-check."))
        return Markup(f'\n    <p class="muted">{none}</p>\n    ')
    chinese = is_chinese()
    parts = []
    add = parts.append
    for item in items:
        name = (item.name_zh if chinese else "") or item.name_en  # core.i18n.localized, the language asked once
        ticked = "checked" if item.id in chosen else ""
        add(
            f'\n    <label for="item-{item.id}"><input type="checkbox" id="item-{item.id}" name="items"'
            f' value="{item.id}" {ticked}> {escaped(name)} ({escaped(item.code)}) · ¥{escaped(money(item.price))}'
            "</label>\n    "
        )
    return Markup("".join(parts))


def free_times(open_slots):
    """A radio button per (slot, free places) of ``open_slots``, with its times and places."""
    # "%(n)s free" translated once, with its mark where each slot's number goes
    free = translated(gettext("%(n)s free", n="%(n)s"))
    parts = []
    add = parts.append
    for slot, places in open_slots:
        times = f"{slot.start_time.strftime('%H:%M')}–{slot.end_time.strftime('%H:%M')}"
        add(
            f'\n  <label for="slot-{slot.id}"><input type="radio" id="slot-{slot.id}" name="slot" value="{slot.id}"'
            f" required> {escaped(times)} ({free.replace('%(n)s', str(escaped(places)))})</label>\n  "
        )
    return Markup("".join(parts))
