"""The booking month's weeks printed in Python (#16), byte for byte what the loop of templates/booking/_month.html
printed: six weeks of seven days, each open day with its address and its date written out in the client's
language, were a sixth of the booking page's time. A day's long date is formatted once per language and day
(Babel takes ~0.1 ms for one); the days' addresses are one address with the day filled in. The template still
prints the weeks itself for a page that does not give them (the group booking);
tests/booking/test_month_rows.py renders its loop beside these."""

import functools

from babel import dates
from flask import url_for
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

from checkup.web.row_printing import translated

DAY_MARK = "day=DAY"


@functools.lru_cache(maxsize=4096)
def _long_date(day, locale_name):
    """``day|dateformat('long')`` in the language ``locale_name``."""
    return str(escape(dates.format_date(day, "long", locale=locale_name)))


def month_weeks(year, month, grid, free, day, picker_endpoint, picker_args):
    """The ``<tr>`` of each week of ``grid`` (the whitespace between them included): ``free`` maps the open
    days to their free places, ``day`` is the chosen one."""
    locale_name = str(get_locale())
    day_link = str(escape(url_for(picker_endpoint, month="%04d-%02d" % (year, month), day="DAY", **picker_args)))
    before, _mark, after = day_link.partition(DAY_MARK)
    full = translated(gettext("full"))
    free_places = translated(gettext("%(n)s free places"))
    out = []
    for week in grid:
        out.append("\n  <tr>\n    ")
        for d in week:
            if d is None:
                out.append("\n    <td></td>\n    \n    ")
                continue
            if d not in free:
                out.append(f'\n    \n    <td class="closed"><span>{d.day}</span></td>\n    \n    ')
                continue
            places = free[d]
            link = f"{before}day={d.isoformat()}{after}"
            chosen = d == day
            current = ' aria-current="date"' if chosen else ""
            chosen_class = " chosen" if chosen else ""
            anchor = f'<a href="{link}" hx-get="{link}" hx-target="#picker" hx-push-url="true"{current}>'
            if places > 0:
                out.append(
                    f'\n    \n    <td class="open{chosen_class}">{anchor}{d.day}'
                    f'<span class="visually-hidden">, {_long_date(d, locale_name)}: {free_places % {"n": places}}'
                    "</span></a></td>\n    \n    "
                )
            else:
                out.append(
                    f'\n    \n    <td class="full{chosen_class}">{anchor}{d.day} <small>{full}</small>'
                    f'<span class="visually-hidden">, {_long_date(d, locale_name)}</span></a></td>\n    \n    '
                )
        out.append("\n  </tr>\n  ")
    return Markup("".join(out))
