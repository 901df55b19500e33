"""Center management: the dashboard and the audit log."""
from flask import Blueprint, request

from checkup.blueprints.guards import render_page, restrict_blueprint
from checkup.models.accounts import ADMIN
from checkup.services import admin_overview

bp = Blueprint("admin", __name__, url_prefix="/admin")
restrict_blueprint(bp, ADMIN)


@bp.get("")
def dashboard():
    return render_page("admin/dashboard.html", counts=admin_overview.counts())


@bp.get("/audit")
def audit_log():
    page = request.args.get("page", "1")
    action = request.args.get("action", "").strip()[:60]
    events, pager = admin_overview.audit_page(page, action)
    return render_page("admin/audit.html", "admin/_audit_rows.html", events=events, pager=pager, action=action,
                       actions=admin_overview.audit_actions())
