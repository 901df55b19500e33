"""A signed-in person's own profile and password."""

from flask import Blueprint, flash, redirect, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from checkup.forms.auth import ChangePasswordForm, ProfileForm
from checkup.services.accounts import accounts, clients
from checkup.services.booking import booking
from checkup.web.form_round_trip import submit
from checkup.web.guards import render_page

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.before_request
@login_required
def signed_in():
    return None


def _page(profile_form, password_form, status=200):
    client = clients.summary_of(booking.client_or_none(current_user.client_id)) if current_user.client_id else None
    return render_page(
        "account/profile.html", profile_form=profile_form, password_form=password_form, client=client, status=status
    )


@bp.get("")
def profile():
    form = ProfileForm(obj=current_user)
    return _page(form, ChangePasswordForm(prefix="pw"))


@bp.post("")
def update_profile():
    form = ProfileForm()
    if not form.validate_on_submit():
        return _page(form, ChangePasswordForm(prefix="pw"), 422)
    accounts.update_profile(current_user, form.name.data, form.phone.data or "", form.locale.data or "")
    if form.locale.data:
        session["locale"] = form.locale.data
    flash(_("Your profile has been saved."), "success")
    return redirect(url_for("account.profile"), code=303)


@bp.post("/password")
def change_password():
    form = ChangePasswordForm(prefix="pw")
    if submit(
        form,
        lambda: accounts.change_password(
            current_user, form.current_password.data, form.new_password.data, keep_token=current_user.session_token
        ),
    ).done:
        flash(_("Your password has been changed. Other devices have been signed out."), "success")
        return redirect(url_for("account.profile"), code=303)
    return _page(ProfileForm(obj=current_user), form, 422)
