"""A station queue board's rows printed in Python (#16), byte for byte what templates/exam/_board.html's loops
printed: the board is polled every 5 s by each screen of a station and its rows (up to ~60) were half of a
board's time. Values are escaped as the template escaped them; labels and addresses are made once per board
(tests/exam/test_board_rows.py renders the old loops beside them)."""

from dataclasses import dataclass

from flask import current_app, render_template, request
from flask_babel import gettext
from markupsafe import Markup, escape

from checkup.core.i18n import is_chinese
from checkup.core.labels import choice_label
from checkup.web.page_shell import csrf_token
from checkup.web.row_printing import address_pattern, translated
from checkup.web.template_gettext import _translations
from checkup.web.templating import center_time

_KEPT_BOARDS = 256  # stations x languages x (physician or not) of a day: far fewer; all dropped when full


@dataclass(frozen=True)
class BoardRows:
    """The rows of each table of a board (empty when the table has none: the template says so itself)."""

    in_progress: Markup
    waiting: Markup
    done: Markup


def _sex_label(sex, labels):
    label = labels.get(sex)
    return label if label is not None else escape(str(choice_label("sex", sex)))


def board_rows(board, may_act):
    """The ``<tr>`` of ``board``'s clients in progress (with the done button when ``may_act``: a physician),
    waiting and done, as the template's loops printed them (the whitespace between them included)."""
    client_link = address_pattern("floor.client", "appointment_id")
    labels = {sex: escape(str(choice_label("sex", sex))) for sex in ("male", "female")}
    in_progress = []
    if may_act:
        done_link = address_pattern("floor.done", "appointment_id", department_code=board.station.code)
        done_text = translated(gettext("Done here"))
        token = escape(csrf_token())
    for row in board.in_progress:
        started_at = row.pair.started_at
        in_progress.append(
            f"\n  <tr>\n    <td><code>{escape(row.exam_code)}</code></td>\n"
            f'    <td><a href="{escape(client_link % row.appointment_id)}">{escape(row.name)}</a></td>\n'
            f"    <td>{_sex_label(row.sex, labels)} / {escape(row.age)}</td>\n"
            f"    <td>{escape(center_time(started_at, '%H:%M'))}</td>\n"
            f'    <td class="num">{escape(board.minutes_since(started_at))}</td>\n'
            f'    <td class="num">{escape(row.pending)}</td>\n    '
        )
        if may_act:
            done = escape(done_link % row.appointment_id)
            in_progress.append(
                f'<td>\n      <form method="post" action="{done}"\n'
                f'            hx-post="{done}" hx-target="#board" hx-swap="innerHTML" class="inline-form">\n'
                f'        <input type="hidden" name="csrf_token" value="{token}">\n'
                f'        <button type="submit" class="secondary">{done_text}</button>\n'
                "      </form>\n    </td>"
            )
        in_progress.append("\n  </tr>\n  ")
    waiting = [
        f'\n  <tr>\n    <td class="num">{number}</td>\n    <td><code>{escape(row.exam_code)}</code></td>\n'
        f'    <td><a href="{escape(client_link % row.appointment_id)}">{escape(row.name)}</a></td>\n'
        f"    <td>{_sex_label(row.sex, labels)} / {escape(row.age)}</td>\n"
        f"    <td>{escape(row.slot_start.strftime('%H:%M'))}</td>\n"
        f'    <td class="num">{escape(row.pending)}</td>\n  </tr>\n  '
        for number, row in enumerate(board.waiting, start=1)
    ]
    done_rows = []
    for row in board.done:
        pair = row.pair
        done_at = escape(center_time(pair.done_at, "%H:%M")) if pair.done_at else "—"
        minutes = escape("%.0f" % pair.minutes) if pair.minutes is not None else "—"
        done_rows.append(
            f"\n  <tr>\n    <td><code>{escape(row.exam_code)}</code></td>\n    <td>{escape(row.name)}</td>\n"
            f'    <td>{done_at}</td>\n    <td class="num">{minutes}</td>\n  </tr>\n  '
        )
    return BoardRows(Markup("".join(in_progress)), Markup("".join(waiting)), Markup("".join(done_rows)))


def board_markup(board, may_act):
    """templates/exam/_board.html for ``board`` (``may_act``: a physician's, with the done buttons), printed
    once per board read, language and application root and kept cut where the CSRF token went: a board read
    is shared by every screen of the floor until anything on it changes (services/exam/station_board
    .kept_station_board), and each poll only joins the pieces with its own request's token. Nothing of one
    viewer is in it but the token (the board's rows are the floor's; "as of" and the minutes are the read's)."""
    token = csrf_token()
    kept = current_app.extensions.setdefault("checkup.board_markup", {})
    key = (board.station.id, board.day, _translations(), is_chinese(), request.script_root, may_act)
    entry = kept.get(key)
    if entry is None or entry[0] is not board:
        html = render_template("exam/_board.html", board=board, board_rows=board_rows(board, may_act))
        if len(kept) >= _KEPT_BOARDS:
            kept.clear()
        entry = kept[key] = (board, html.split(token))
    return Markup(token.join(entry[1]))
