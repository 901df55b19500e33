"""The client's own pages: home and the package catalog."""
from flask import Blueprint, abort
from flask_login import current_user

from checkup.blueprints.guards import render_page, restrict_blueprint
from checkup.models.accounts import CLIENT
from checkup.services import clients
from checkup.services import packages as package_service
from checkup.templating import is_chinese

bp = Blueprint("client", __name__, url_prefix="/me")
restrict_blueprint(bp, CLIENT)


@bp.get("")
def home():
    client = clients.client_summary(current_user.client_id)
    return render_page("client/home.html", client=client)


@bp.get("/packages")
def packages():
    client = clients.client_summary(current_user.client_id)
    offers = package_service.offers_for(client.sex, client.birth_date)
    return render_page("client/packages.html", offers=offers, client=client)


@bp.get("/packages/<code>")
def package_detail(code):
    package, items = package_service.package_with_items(code)
    if package is None:
        abort(404)
    client = clients.client_summary(current_user.client_id)
    reason = package_service.ineligibility(package, client.sex, package_service.age_on(client.birth_date))
    return render_page("client/package.html", package=package, items=items, reason=reason,
                       notes=package_service.preparation_notes(items, is_chinese()))
