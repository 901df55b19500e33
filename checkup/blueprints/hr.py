"""The HR contact's pages. HR sees its own organization only, and never health data."""
from flask import Blueprint
from flask_login import current_user

from checkup.blueprints.guards import render_page, restrict_blueprint
from checkup.models.accounts import HR
from checkup.services import organizations

bp = Blueprint("hr", __name__, url_prefix="/hr")
restrict_blueprint(bp, HR)


@bp.get("")
def home():
    organization = organizations.get_organization(current_user.organization_id)
    return render_page("hr/home.html", organization=organization,
                       roster_size=organizations.roster_size(organization.id))
