"""Center management figures (admin), contract renewal tasks (admin) and the re-enrollment funnel (care)."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from checkup.core import audit
from checkup.core.errors import NotFound, ValidationError
from checkup.core.i18n import is_chinese, localized
from checkup.forms.care import RenewalDoneForm
from checkup.models.accounts import ADMIN
from checkup.services.admin import management
from checkup.services.care import renewals
from checkup.web.guards import actor, render_page, restrict_blueprint

bp = Blueprint("management", __name__, url_prefix="/admin")
restrict_blueprint(bp, ADMIN)


# {language: (the figures, their content's markup)}: management.dashboard() hands out the same figures until it
# counts them again (HEADLINE_MAX_AGE_SECONDS), and the content holds nothing but those figures in that language
# (no user, no token), so it is printed once per figures and language, not on every request
_KEPT_BODIES: dict[str, tuple[dict, Markup]] = {}


def _dashboard_body(data):
    language = str(get_locale())
    kept = _KEPT_BODIES.get(language)
    if kept is not None and kept[0] is data:
        return kept[1]
    labels = [localized(package) if package else _("No package") for package, _n in data["packages"]]
    body = Markup(render_template("management/_dashboard_body.html", data=data, package_labels=labels))
    _KEPT_BODIES[language] = (data, body)
    return body


@bp.get("/management")
def dashboard():
    return render_page("management/dashboard.html", content_html=_dashboard_body(management.dashboard()))


@bp.get("/management.xlsx")
def export():
    data = management.dashboard()
    audit.record(actor(), "management.exported", None, start=str(data["start"]), end=str(data["today"]))
    return Response(
        management.workbook(data, chinese=is_chinese()),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename=management-{data['today']}.xlsx"},
    )


@bp.get("/renewals")
def renewal_tasks():
    status = request.args.get("status", "open")
    status = status if status in ("open", "done", "all") else "open"
    return render_page("management/renewals.html", tasks=renewals.task_list(status), shown=status)


@bp.post("/renewals/<int:task_id>/done")
def renewal_done(task_id):
    form = RenewalDoneForm()
    if not form.validate_on_submit():
        flash(_("Write what was agreed with the company."), "error")
        return redirect(url_for(".renewal_tasks"), 303)
    try:
        renewals.complete(actor(), task_id, form.note.data)
    except NotFound:
        flash(_("This renewal task does not exist or is already done."), "error")
        return redirect(url_for(".renewal_tasks"), 303)
    except ValidationError as error:
        flash(str(error.message), "error")
        return redirect(url_for(".renewal_tasks"), 303)
    flash(_("Renewal task closed."), "success")
    return redirect(url_for(".renewal_tasks"), 303)
