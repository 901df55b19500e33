"""Client records and organizations for the center's staff (placeholder)."""
from flask import Blueprint

from checkup.blueprints.guards import render_page, restrict_blueprint
from checkup.models.accounts import ADMIN, COUNSELOR, SCHEDULER
from checkup.services import clients

bp = Blueprint("directory", __name__, url_prefix="/directory")
restrict_blueprint(bp, ADMIN, SCHEDULER, COUNSELOR)


@bp.get("/clients")
def clients_list():
    return render_page("desk/home.html", stats=clients.directory_stats())


@bp.get("/organizations")
def organizations():
    return render_page("desk/home.html", stats=clients.directory_stats())


bp.add_url_rule("/clients", endpoint="clients", view_func=clients_list)
