"""The root: send each visitor to the page they need."""

from flask import Blueprint, redirect, url_for
from flask_login import current_user

from checkup.web.guards import redirect_home

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect_home()
    return redirect(url_for("auth.login"))
