"""Sign in and out, registration, password reset, the idle-session keepalive, language switch."""

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from checkup.core.errors import ValidationError
from checkup.forms.auth import ConfirmRegistrationForm, ForgotPasswordForm, LoginForm, RegisterForm, ResetPasswordForm
from checkup.services.accounts import accounts, sessions
from checkup.web import link_tokens
from checkup.web.extensions import limiter
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, home_endpoint, is_safe_next, redirect_home, render_page
from checkup.web.locale import shown_locale

bp = link_tokens.protect(Blueprint("auth", __name__))
REGISTRATION_LINK = "registration"  # the link_tokens kind of the welcome email's confirmation link


def _account_key():
    return "login:" + accounts.normalize_email(request.form.get("email", ""))[:254]


def _failed(response):
    return response.status_code != 303


def sign_in(user):
    """Rotate the session (a fresh cookie and server-side id) and sign the user in (login, registration,
    an accepted group invitation)."""
    locale, links = session.get("locale"), link_tokens.surviving_sign_in()
    session.clear()
    if locale:
        session["locale"] = locale
    session.update(links)  # an offer link opened before signing in
    sessions.start_session(user, request.remote_addr or "", request.user_agent.string or "")
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=_failed)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_account_key, deduct_when=_failed
)
def login():
    if current_user.is_authenticated:
        return redirect_home()
    form = LoginForm()
    outcome = submit(form, lambda: accounts.authenticate(form.email.data, form.password.data))
    if outcome.done:
        user = outcome.result
        sign_in(user)
        target = request.args.get("next", "")
        return redirect(target if is_safe_next(target) else url_for(home_endpoint(user)), code=303)
    return render_page("auth/login.html", form=form, error=outcome.form_error, status=outcome.status)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        sessions.end_session(current_user.session_token, actor())
        logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20/hour", methods=["POST"])
def register():
    """A valid form always ends on "check your email", whether or not the address has an account, and
    signs nobody in (accounts.register_client says what each case does)."""
    if current_user.is_authenticated:
        return redirect_home()
    form = RegisterForm()
    outcome = submit(
        form,
        lambda: accounts.register_client(
            form.email.data,
            form.password.data,
            form.name.data,
            form.sex.data,
            form.birth_date.data,
            form.phone.data,
            shown_locale(),
            consents=list(form.consent_answers()),
            ip=request.remote_addr or "",
        ),
    )
    if outcome.done:
        return redirect(url_for("auth.registration_sent"), code=303)
    return render_page("auth/register.html", form=form, status=outcome.status)


@bp.get("/register/sent")
def registration_sent():
    return render_page("auth/registration_sent.html")


@bp.route("/register/confirm", methods=["GET", "POST"])
@bp.get("/register/confirm/<token>")
@limiter.limit("20/hour", methods=["POST"])
def confirm_registration(token=None):
    """The link in the welcome email, traded for the session like a reset link (link_tokens); then the
    password chosen when registering opens the account and signs in."""
    from_link = token is not None
    token = token if from_link else link_tokens.held(REGISTRATION_LINK)
    try:
        accounts.check_confirmation_token(token or "")
    except ValidationError as exc:
        return _registration_link_invalid(exc)
    if from_link:
        return link_tokens.hold(REGISTRATION_LINK, token, "auth.confirm_registration")
    form = ConfirmRegistrationForm()
    outcome = submit(form, lambda: accounts.confirm_registration(token, form.password.data, request.remote_addr or ""))
    if outcome.form_error:  # no field owns it: the link itself is spent or invalid
        return _registration_link_invalid(outcome.error)
    if outcome.done:
        sign_in(outcome.result)  # a fresh session: the held link goes with the old one
        flash(_("Welcome! Your account is ready."), "success")
        return redirect(url_for("client.home"), code=303)
    return render_page(
        "auth/confirm_registration.html", form=form, link=link_tokens.fingerprint(token), status=outcome.status
    )


def _registration_link_invalid(error):
    return render_page(
        "auth/reset_invalid.html",
        message=error.message,
        again_url=url_for("auth.register"),
        again_label=_("Register again"),
        status=400,
    )


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("10/hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data, request.remote_addr or "")
        flash(
            _(
                "If an account exists for that email, we have sent a link to reset the password. "
                "It works once, within %(minutes)s minutes.",
                minutes=current_app.config["PASSWORD_RESET_MINUTES"],
            ),
            "info",
        )
        return redirect(url_for("auth.login"), code=303)
    return render_page("auth/forgot.html", form=form, status=422 if form.errors else 200)


@bp.route("/password/reset", methods=["GET", "POST"])
@bp.get("/password/reset/<token>")
@limiter.limit("20/hour", methods=["POST"])
def reset_password(token=None):
    """The emailed link checks its token and trades it for the session (303 here without it); the form
    then sets the password (checkup/web/link_tokens.py)."""
    from_link = token is not None
    token = token if from_link else link_tokens.held(link_tokens.RESET)
    try:
        accounts.check_reset_token(token or "")
    except ValidationError as exc:
        return render_page("auth/reset_invalid.html", message=exc.message, status=400)
    if from_link:
        return link_tokens.hold(link_tokens.RESET, token, "auth.reset_password")
    form = ResetPasswordForm()
    outcome = submit(form, lambda: accounts.reset_password(token, form.password.data, request.remote_addr or ""))
    if outcome.form_error:  # no field owns it: the link itself is spent or invalid
        return render_page("auth/reset_invalid.html", message=outcome.form_error, status=400)
    if outcome.done:
        link_tokens.release(link_tokens.RESET)
        if current_user.is_authenticated:
            logout_user()
        flash(_("Your password has been set. Sign in with it now."), "success")
        return redirect(url_for("auth.login"), code=303)
    return render_page("auth/reset.html", form=form, link=link_tokens.fingerprint(token), status=outcome.status)


@bp.post("/session/keepalive")
@login_required
def keepalive():
    """The "Stay signed in" button of the idle warning (static/js/idle.js): the idle time starts again."""
    sessions.keep_session_alive(current_user.session_token)
    return "", 204


@bp.post("/language")
def set_language():
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            accounts.set_locale(current_user, locale)
    target = request.form.get("next", "")
    return redirect(target if is_safe_next(target) else url_for("home.index"), code=303)
