"""Admin: the exam catalog (placeholder until the catalog screens land)."""
from flask import Blueprint

from checkup.blueprints.guards import render_page, restrict_blueprint
from checkup.models.accounts import ADMIN
from checkup.services import catalog

bp = Blueprint("catalog", __name__, url_prefix="/admin/catalog")
restrict_blueprint(bp, ADMIN)


@bp.get("/items")
def items():
    return render_page("exam/home.html", query="", items=catalog.reference_table(""))
