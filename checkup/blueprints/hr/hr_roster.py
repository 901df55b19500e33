"""HR: roster imports of the organization's own contracts — upload, progress, preview, import or discard.

Another organization's contract or import is a 404 like a missing one (the service looks them up by
the HR account's organization). The file never reaches the disk: it is read from the request in
memory, up to one byte over the limit so the service can tell it is too large.
"""

from flask import Blueprint, current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from checkup.core.errors import Conflict, ValidationError
from checkup.core.i18n import is_chinese
from checkup.core.upload_files import size_text
from checkup.forms.roster import RosterUploadForm
from checkup.models.accounts import HR
from checkup.services.groups.roster import roster, roster_file
from checkup.services.groups.roster.roster_file import MAX_ROWS
from checkup.web.guards import actor, render_page, restrict_blueprint
from checkup.web.uploads import run_import

bp = Blueprint("hr_roster", __name__, url_prefix="/hr/contracts/<int:contract_id>/roster")
restrict_blueprint(bp, HR)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _organization_id():
    return current_user.organization_id


def _limits():
    return {"max_rows": f"{MAX_ROWS:,}", "max_size": size_text(current_app.config["UPLOAD_MAX_BYTES"])}


def _index_page(contract, form, status=200):
    return render_page(
        "roster/index.html",
        contract=contract,
        form=form,
        imports=roster.imports_of(contract.id),
        state_labels=roster.STATE_LABELS,
        accepts=roster.accepts_imports(contract),
        status=status,
        **_limits(),
    )


@bp.get("")
def index(contract_id):
    contract = roster.contract_for_hr(_organization_id(), contract_id)
    return _index_page(contract, RosterUploadForm(formdata=None))


@bp.post("")
def upload(contract_id):
    contract = roster.contract_for_hr(_organization_id(), contract_id)
    form = RosterUploadForm()
    created, _problems, status = run_import(
        form,
        current_app.config["UPLOAD_MAX_BYTES"],
        lambda name, content: roster.upload(actor(), _organization_id(), contract.id, name, content),
    )
    if created is not None:
        return redirect(url_for(".detail", contract_id=contract.id, import_id=created.id), code=303)
    return _index_page(contract, form, status=status)


def _detail_context(contract, roster_import, page=1):
    return {
        "contract": contract,
        "roster_import": roster_import,
        "state_labels": roster.STATE_LABELS,
        "errors": roster.error_page(roster_import, page),
        "progress": roster.progress_percent(roster_import),
        "running": roster_import.state in roster.RUNNING,
        "may_discard": roster.may_discard(roster_import),
        "may_commit": roster_import.state == roster.READY
        and roster_import.valid_rows > 0
        and roster.accepts_imports(contract),
        "message": roster.message_text(roster_import),
    }


def _page_arg():
    page = request.args.get("page", 1, type=int)
    return page if 0 < page < 10**6 else 1


@bp.get("/imports/<int:import_id>")
def detail(contract_id, import_id):
    contract, roster_import = roster.get_import(_organization_id(), contract_id, import_id, with_errors=True)
    return render_page(
        "roster/detail.html", "roster/_errors.html", **_detail_context(contract, roster_import, _page_arg())
    )


@bp.get("/imports/<int:import_id>/status")
def status(contract_id, import_id):
    """The self-polling status block (every second while a job runs); the whole page without htmx."""
    contract, roster_import = roster.get_import(_organization_id(), contract_id, import_id, with_errors=True)
    return render_page("roster/detail.html", "roster/_status.html", **_detail_context(contract, roster_import))


def _decision_refused(contract_id, import_id, exc, status):
    contract, roster_import = roster.get_import(_organization_id(), contract_id, import_id, with_errors=True)
    return render_page(
        "roster/detail.html", page_error=exc.message, status=status, **_detail_context(contract, roster_import)
    )


@bp.post("/imports/<int:import_id>/commit")
def commit(contract_id, import_id):
    try:
        roster_import = roster.request_commit(actor(), _organization_id(), contract_id, import_id)
    except ValidationError as exc:
        return _decision_refused(contract_id, import_id, exc, 422)
    except Conflict as exc:
        return _decision_refused(contract_id, import_id, exc, 409)
    if roster_import.state == roster.IMPORTED:
        flash(
            ngettext("Imported %(num)d employee.", "Imported %(num)d employees.", roster_import.valid_rows), "success"
        )
    elif roster_import.state == roster.IMPORTING:
        flash(_("The import has started. You can leave this page and come back."), "info")
    return redirect(url_for(".detail", contract_id=contract_id, import_id=import_id), code=303)


@bp.post("/imports/<int:import_id>/discard")
def discard(contract_id, import_id):
    try:
        roster.discard(actor(), _organization_id(), contract_id, import_id)
    except Conflict as exc:
        return _decision_refused(contract_id, import_id, exc, 409)
    flash(_("The file was discarded; nothing was imported. Correct it and upload it again."), "info")
    return redirect(url_for(".index", contract_id=contract_id), code=303)


@bp.get("/template.<any(csv, xlsx):kind>")
def template(contract_id, kind):
    contract = roster.contract_for_hr(_organization_id(), contract_id)
    label = roster.example_category(contract)
    if kind == "csv":
        body, mimetype = roster_file.template_csv(label, is_chinese()), "text/csv; charset=utf-8"
    else:
        body, mimetype = roster_file.template_xlsx(label, is_chinese()), XLSX_TYPE
    response = make_response(body)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = f"attachment; filename=roster-template.{kind}"
    return response
