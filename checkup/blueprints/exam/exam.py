"""Exam stations: station picker, worklists, result entry with live flags (derived items shown computed),
instrument import with its preview, the station's conflict list (instrument vs entered), critical alerts."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup

from checkup.blueprints.exam.ranges_rows import range_rows
from checkup.core.arguments import parse_page
from checkup.core.errors import Conflict, ValidationError
from checkup.core.i18n import is_chinese
from checkup.forms.results import AcknowledgeForm, InstrumentImportForm, ResolveConflictForm
from checkup.models.accounts import COUNSELOR, PHYSICIAN
from checkup.services.catalog import catalog
from checkup.services.exam import result_conflicts, results, results_import, station_sheets, station_staff, stations
from checkup.web.guards import actor, home_endpoint, is_safe_next, render_page, restrict_blueprint, wants_fragment
from checkup.web.kept_markup import KeptMarkup
from checkup.web.template_gettext import _translations
from checkup.web.uploads import run_import

exam = Blueprint("exam", __name__, url_prefix="/exam")
restrict_blueprint(exam, PHYSICIAN)
# Physicians and counselors both act on critical values, so acknowledging has its own, wider blueprint.
alerts = Blueprint("alerts", __name__, url_prefix="/exam/alerts")
restrict_blueprint(alerts, PHYSICIAN, COUNSELOR)


FLAG_CLASSES = {"N": "success", "H": "warning", "L": "warning", "A": "warning", "HH": "danger", "LL": "danger"}


def _number(value):
    return "" if value is None else format(value.normalize(), "f")


def range_text(row):
    """ "3.9–6.1 (critical ≤2.8 / ≥25)" for a reference range row."""
    text = f"{_number(row.low)}–{_number(row.high)}"
    critical = []
    if row.critical_low is not None:
        critical.append(f"≤{_number(row.critical_low)}")
    if row.critical_high is not None:
        critical.append(f"≥{_number(row.critical_high)}")
    if critical:
        text += f" ({_('critical')} {' / '.join(critical)})"
    return text


@exam.app_context_processor
def result_helpers():
    """Flag and range helpers for the station pages and the alert lists on the care home page."""
    return {
        "flag_label": lambda code: results.FLAG_LABELS.get(code, code),
        "flag_class": lambda code: FLAG_CLASSES.get(code, "info"),
        "range_text": range_text,
    }


@exam.get("", endpoint="home")
def home():
    key = (_translations(), is_chinese(), request.script_root)
    return render_page(
        "exam/home.html",
        floor_bar=_kept_floor_bars(key, lambda: render_template("exam/_floor_bar.html")),
        stations_markup=_station_list(key, stations.station_overview()),
        alerts=stations.open_alerts(),
        ack_form=AcknowledgeForm(next=request.path),
    )


# the home's floor links and scan box: nothing in them but the language, the app's root and the CSRF token
_kept_floor_bars = KeptMarkup()
_KEPT_STATION_LISTS = 16  # languages x application roots: few; all dropped when full


def _station_list(key, overview):
    """templates/exam/_station_list.html for ``overview`` (stations.station_overview: one counting, shared for
    a few seconds), printed once per counting, language and root: it holds no form and nothing of a viewer."""
    kept = current_app.extensions.setdefault("checkup.exam_station_lists", {})
    entry = kept.get(key)
    if entry is None or entry[0] is not overview:
        if len(kept) >= _KEPT_STATION_LISTS:
            kept.clear()
        entry = kept[key] = (overview, Markup(render_template("exam/_station_list.html", stations=overview)))
    return entry[1]


@exam.get("/ranges")
def ranges():
    query = request.args.get("q", "").strip()[:100]
    table = catalog.reference_table(query)
    # the unsearched table is kept; a search (what someone typed) is printed for its request only
    ranges_printed = range_rows(table) if query else _kept_range_rows(table)
    return render_page("exam/ranges.html", "exam/_ranges.html", query=query, ranges_printed=ranges_printed)


_KEPT_RANGE_TABLES = 16  # languages: all dropped when full


def _kept_range_rows(table):
    """``range_rows(table)`` of the unsearched table, printed again only when the table read now differs from
    the one printed for this language (the catalog's items and ranges: nothing of a client or a viewer)."""
    kept = current_app.extensions.setdefault("checkup.exam_range_tables", {})
    key = (_translations(), is_chinese())
    entry = kept.get(key)
    if entry is None or entry[0] != table:
        if len(kept) >= _KEPT_RANGE_TABLES:
            kept.clear()
        entry = kept[key] = (table, range_rows(table))
    return entry[1]


@exam.get("/stations/<department_code>")
def station(department_code):
    department = station_sheets.get_department(department_code)
    return render_page(
        "exam/station.html",
        "exam/_worklist.html",
        department=department,
        worklist=stations.kept_station_worklist(department.id, parse_page(request.args.get("page"))),
        open_conflicts=result_conflicts.open_count(department.id),
        works_here=station_staff.works_at(current_user, department.id) if current_user.has_role(PHYSICIAN) else None,
    )


# --- instrument values that differ from entered ones -----------------------------------------------


@exam.get("/stations/<department_code>/conflicts")
def conflicts(department_code):
    department = station_sheets.get_department(department_code)
    day, day_error = result_conflicts.parse_day(request.args.get("day"))
    listing = result_conflicts.conflict_list(
        actor(), department, day, request.args.get("state", "open")[:10], parse_page(request.args.get("page"))
    )
    return render_page(
        "exam/conflicts.html",
        "exam/_conflicts.html",
        listing=listing,
        day_error=day_error,
        choice_labels=result_conflicts.CHOICE_LABELS,
        resolve_form=ResolveConflictForm(),
    )


@exam.post("/conflicts/<int:conflict_id>/resolve")
def resolve_conflict(conflict_id):
    conflict = result_conflicts.get_conflict(conflict_id)
    form = ResolveConflictForm()
    target = (
        form.next.data
        if is_safe_next(form.next.data)
        else url_for("exam.conflicts", department_code=conflict.item.department.code)
    )
    if not form.validate_on_submit():
        flash(" ".join(str(e) for e in form.choice.errors) or _("The form could not be read. Try again."), "error")
        return redirect(target, code=303)
    try:
        result_conflicts.resolve_conflict(actor(), conflict_id, form.choice.data)
    except (ValidationError, Conflict, station_staff.NotThisStation) as exc:
        flash(str(exc.message), "error")
    else:
        flash(
            _("Kept the entered value.")
            if form.choice.data == result_conflicts.KEEP_ENTERED
            else _("Took the instrument value."),
            "success",
        )
    return redirect(target, code=303)


# --- result entry ---------------------------------------------------------------------------------


def _entries_from(form, item_ids):
    """{item id: values} from the station form's ``<field>-<item id>`` inputs."""
    entries = {}
    for item_id in item_ids:
        reason = form.get(f"reason-{item_id}", "")[:40]
        if reason == results.OTHER_REASON:
            reason = (
                form.get(f"reason_other-{item_id}", "").strip()[: results.MAX_SKIP_REASON + 1] or results.OTHER_REASON
            )
        entries[item_id] = {
            "value": form.get(f"value-{item_id}", "")[: results.MAX_TEXT_LENGTH + 1],
            "abnormal": bool(form.get(f"abnormal-{item_id}")),
            "skipped": bool(form.get(f"skip-{item_id}")),
            "skip_reason": reason,
            "reason_code": form.get(f"reason-{item_id}", "")[:40],
            "reason_other": form.get(f"reason_other-{item_id}", "")[: results.MAX_SKIP_REASON + 1],
        }
    return entries


def _drafts(sheet, entries=None, errors=None):
    """What each row's inputs show: what was just typed (after an error) or what is stored."""
    drafts = {}
    for row in sheet.rows:
        item_id = row.item.id
        if entries and item_id in entries and item_id in (errors or {}):
            typed = entries[item_id]
            drafts[item_id] = dict(
                value=typed["value"],
                abnormal=typed["abnormal"],
                skipped=typed["skipped"],
                reason_code=typed["reason_code"],
                reason_other=typed["reason_other"],
                error=errors[item_id],
            )
            continue
        result = row.result
        if result is None:
            drafts[item_id] = dict(value="", abnormal=False, skipped=False, reason_code="", reason_other="", error=None)
            continue
        listed = result.skip_reason in results.SKIP_REASONS
        drafts[item_id] = dict(
            value=result.value_text,
            abnormal=result.flag == "A",
            skipped=result.skipped,
            reason_code=result.skip_reason if listed else ("other" if result.skip_reason else ""),
            reason_other="" if listed else result.skip_reason,
            error=None,
        )
    return drafts


def _form_context(sheet, drafts, saved_ids=()):
    return dict(
        sheet=sheet,
        drafts=drafts,
        progress=stations.appointment_progress(sheet.appointment.id),
        skip_reasons=results.SKIP_REASONS,
        flag_labels=results.FLAG_LABELS,
        saved_ids=set(saved_ids),
    )


@exam.route("/appointments/<int:appointment_id>/stations/<department_code>", methods=["GET", "POST"])
def result_form(appointment_id, department_code):
    department = station_sheets.get_department(department_code)
    if request.method == "GET":
        sheet = station_sheets.station_sheet_for(actor(), appointment_id, department.id)
        return render_page("exam/result_form.html", **_form_context(sheet, _drafts(sheet)))
    sheet = station_sheets.station_sheet(appointment_id, department.id)  # entry is refused unless checked in today
    item_ids = [row.item.id for row in sheet.rows]
    only = request.form.get("only", type=int)
    if only is not None:
        if only not in item_ids:
            abort(404)
        item_ids = [only]
    entries = _entries_from(request.form, item_ids)
    if sheet.refusal:
        outcome = station_sheets.StationSave(errors={i: sheet.refusal for i in item_ids})
    else:
        outcome = station_sheets.save_station(actor(), appointment_id, department.id, entries)
    fresh = station_sheets.station_sheet(appointment_id, department.id)
    drafts = _drafts(fresh, entries, outcome.errors)
    saved_ids = [r.item_id for r in outcome.saved]
    if only is not None and wants_fragment():
        row = next(r for r in fresh.rows if r.item.id == only)
        return render_template("exam/_saved_row.html", row=row, **_form_context(fresh, drafts, saved_ids))
    if outcome.errors:
        return render_page(
            "exam/result_form.html",
            status=422,
            form_error=_("Some results were not saved. Correct the rows marked below."),
            **_form_context(fresh, drafts, saved_ids),
        )
    flash(
        ngettext("%(num)d result saved.", "%(num)d results saved.", len(outcome.saved))
        if outcome.saved
        else _("Nothing to save."),
        "success" if outcome.saved else "info",
    )
    station_done = all(row.result is not None for row in fresh.rows)
    if station_done and only is None:
        return redirect(url_for("exam.station", department_code=department.code), code=303)
    return redirect(
        url_for("exam.result_form", appointment_id=appointment_id, department_code=department.code), code=303
    )


@exam.post("/appointments/<int:appointment_id>/items/<int:item_id>/flag")
def flag(appointment_id, item_id):
    """The flag for what is typed so far. Reads only: it never stores the value."""
    flag_value, row, error = station_sheets.preview_flag(
        appointment_id,
        item_id,
        request.form.get(f"value-{item_id}", ""),
        abnormal=bool(request.form.get(f"abnormal-{item_id}")),
    )
    return render_template(
        "exam/_flag.html", item_id=item_id, flag=flag_value, range=row, error=error, flag_labels=results.FLAG_LABELS
    )


# --- instrument import ----------------------------------------------------------------------------


@exam.route("/import", methods=["GET", "POST"])
def import_results():
    form = InstrumentImportForm()
    if request.method == "GET":
        return render_page("exam/import.html", form=form, problems=[], preview=None)
    outcome, problems, status = run_import(
        form,
        results_import.MAX_IMPORT_BYTES,
        lambda name, content: results_import.import_instrument_csv(actor(), name, content),
    )
    if outcome is not None:
        flash(
            _(
                "Imported %(rows)s values for %(clients)s clients: %(created)s new, %(unchanged)s unchanged, "
                "%(conflicts)s differing from the entered value (waiting in the stations' conflict lists), "
                "%(critical)s critical; %(derived)s computed items updated.",
                rows=outcome.rows,
                clients=outcome.appointments,
                created=outcome.created,
                unchanged=outcome.unchanged,
                conflicts=outcome.conflicts,
                critical=outcome.critical,
                derived=outcome.derived,
            ),
            "warning" if outcome.conflicts else "success",
        )
        if outcome.ignored:
            flash(
                ngettext(
                    "%(num)d row for a computed item was ignored.",
                    "%(num)d rows for computed items were ignored.",
                    outcome.ignored,
                ),
                "info",
            )
        return redirect(url_for("exam.import_results"), code=303)
    return render_page("exam/import.html", form=form, problems=problems, preview=None, status=status)


@exam.post("/import/preview")
def preview_import():
    """What the file would do (new, unchanged, conflicting, ignored): checks and counts, writes nothing."""
    form = InstrumentImportForm()
    preview, problems, status = run_import(form, results_import.MAX_IMPORT_BYTES, results_import.preview_instrument_csv)
    if wants_fragment():
        status = 200  # htmx swaps only 2xx answers: the problems are the answer to "check the file"
    return render_page(
        "exam/import.html", "exam/_import_preview.html", form=form, problems=problems, preview=preview, status=status
    )


# --- critical alerts ------------------------------------------------------------------------------


@alerts.post("/<int:alert_id>/acknowledge")
def acknowledge(alert_id):
    stations.get_alert(alert_id)
    form = AcknowledgeForm()
    target = form.next.data if is_safe_next(form.next.data) else url_for(home_endpoint(current_user))
    if not form.validate_on_submit():
        flash(" ".join(str(e) for e in form.note.errors) or _("The form could not be read. Try again."), "error")
        return redirect(target, code=303)
    try:
        stations.acknowledge_alert(actor(), alert_id, form.note.data)
    except (ValidationError, Conflict) as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("Critical value acknowledged."), "success")
    return redirect(target, code=303)
