"""The client's own pages: home, the package catalog, and joining an earlier record to an account made
from a company invitation."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from checkup.core.errors import DomainError, ValidationError
from checkup.core.i18n import is_chinese
from checkup.forms.enrollment_identity import EarlierRecordForm
from checkup.models.accounts import CLIENT
from checkup.services.accounts import clients
from checkup.services.booking import booking
from checkup.services.catalog import packages as package_service
from checkup.services.groups import enrollment_identity
from checkup.web.extensions import limiter
from checkup.web.form_round_trip import apply_errors
from checkup.web.guards import render_page, restrict_blueprint

bp = Blueprint("client", __name__, url_prefix="/me")
restrict_blueprint(bp, CLIENT)


@bp.get("")
def home():
    client, earlier_records = enrollment_identity.client_home(current_user.client_id)
    return render_page("client/home.html", client=client, earlier_records=earlier_records)


@bp.route("/earlier-records", methods=["GET", "POST"])
@limiter.limit("10/hour", methods=["POST"])
def earlier_records():
    """Proof (b): the birth date and last 4 ID characters of an earlier record join it to this account."""
    offered = enrollment_identity.offers_earlier_records(current_user.client_id)
    form = EarlierRecordForm()
    error, status = None, 200
    if offered and form.validate_on_submit():
        try:
            enrollment_identity.join_earlier_record(
                current_user, form.birth_date.data, form.id_last4.data, request.remote_addr or ""
            )
        except ValidationError as exc:
            error, status = exc.message, 422
            apply_errors(form, exc)
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            flash(_("Your earlier records are now in this account."), "success")
            return redirect(url_for("client.home"), code=303)
    elif form.errors:
        status = 422
    return render_page("client/earlier_records.html", form=form, offered=offered, error=error, status=status)


@bp.get("/packages")
def packages():
    client = clients.summary_of(booking.client_or_none(current_user.client_id))
    offers = package_service.offers_for(client.sex, client.birth_date)
    return render_page("client/packages.html", offers=offers, client=client)


@bp.get("/packages/<code>")
def package_detail(code):
    package, items = package_service.package_with_items(code)
    if package is None:
        abort(404)
    client = clients.summary_of(booking.client_or_none(current_user.client_id))
    reason = package_service.ineligibility(package, client.sex, package_service.age_on(client.birth_date))
    return render_page(
        "client/package.html",
        package=package,
        items=items,
        reason=reason,
        notes=package_service.preparation_notes(items, is_chinese()),
    )
