"""The physicians' reference-range table (/exam/ranges) printed in Python (#16), byte for byte what
templates/exam/_ranges.html's macro printed: a hundred-odd items with one to four ranges each passed every
value through the template's escaping and nested loops (most of the page's time). Labels are translated once
per page; tests/exam/test_ranges_rows.py renders the macro beside it."""

from flask_babel import gettext
from markupsafe import Markup

from checkup.core.labels import choice_label
from checkup.web.html_text import escaped
from checkup.web.row_printing import translated


def range_rows(items):
    """The ``<tr>`` of each services/catalog/catalog ``RangeTableItem`` (or the "no item matches" row), as the
    macro ``range_rows`` of templates/exam/_ranges.html printed them."""
    if not items:
        none_text = translated(gettext("No item matches."))
        return Markup(f'\n<tr><td colspan="5">{none_text}</td></tr>\n')
    sex_labels = {code: escaped(str(choice_label("sex", code))) for code in ("any", "male", "female")}
    critical_text = translated(gettext("critical"))
    no_range = translated(gettext("No numeric range"))
    no_range = f'<span class="muted">{no_range}</span>'
    parts = []
    add = parts.append
    for item in items:
        add(
            f"\n<tr>\n  <td>{escaped(item.department)}</td>\n  <td>{escaped(item.code)}</td>\n"
            f"  <td>{escaped(item.name)}</td>\n  <td>{escaped(item.unit)}</td>\n  <td>\n    "
        )
        if not item.ranges:
            add(no_range)
        for sex, age_min, age_max, low, high, critical_low, critical_high in item.ranges:
            label = sex_labels.get(sex)
            if label is None:
                label = escaped(choice_label("sex", sex))
            low = "" if low is None else escaped(str(low))
            high = "" if high is None else escaped(str(high))
            critical = ""
            if critical_low is not None or critical_high is not None:
                critical_low = "—" if critical_low is None else escaped(critical_low)
                critical_high = "—" if critical_high is None else escaped(critical_high)
                critical = f'<small class="muted">({critical_text} &lt;{critical_low} / &gt;{critical_high})</small>'
            add(
                f"\n    <div><small>{label} {escaped(age_min)}–{escaped(age_max)}:</small>\n      {low}–{high}"
                f"\n      {critical}\n    </div>\n    "
            )
        add("\n  </td>\n</tr>\n")
    return Markup("".join(parts))
