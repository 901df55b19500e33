"""Admin: the hospital systems that use the API — register one (its token shown once), change its scopes,
rotate or revoke its token, subscribe webhooks, and see every delivery that failed."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from checkup.core.errors import DomainError
from checkup.models.accounts import ADMIN
from checkup.models.integrations import EVENTS, SCOPES
from checkup.services.integrations import clients, webhooks
from checkup.web.guards import actor, render_page, restrict_blueprint

bp = Blueprint("integrations", __name__, url_prefix="/admin/integrations")
restrict_blueprint(bp, ADMIN)


def _index(errors=None, values=None, status=200):
    return render_page(
        "integrations/index.html",
        rows=clients.list_clients(),
        failing=webhooks.failing_counts(),
        scopes=SCOPES,
        errors=errors or {},
        values=values or {"scopes": [], "rate_limit": clients.DEFAULT_RATE_LIMIT},
        status=status,
    )


def _detail(client_id, errors=None, values=None, status=200):
    client = clients.get_client(client_id)
    return render_page(
        "integrations/detail.html",
        client=client,
        scopes=SCOPES,
        events=EVENTS,
        endpoints=webhooks.endpoints_of(client.id),
        deliveries=webhooks.deliveries_of(client.id),
        errors=errors or {},
        values=values or {"scopes": client.scope_list, "rate_limit": client.rate_limit, "events": list(EVENTS)},
        status=status,
    )


def _secret_page(client, token=None, webhook=None, secret=None):
    # shown once: the page is never cached (the app sends no-store) and the token is not stored anywhere
    return render_page("integrations/secret.html", client=client, token=token, webhook=webhook, secret=secret)


@bp.get("")
def index():
    return _index()


@bp.post("")
def register():
    values = {
        "name": request.form.get("name", "")[:200],
        "scopes": request.form.getlist("scopes")[:20],
        "rate_limit": request.form.get("rate_limit", "")[:40],
    }
    try:
        issued = clients.register_client(actor(), values["name"], values["scopes"], values["rate_limit"])
    except DomainError as error:
        return _index({"form": error.message, **error.field_errors}, values, 422)
    return _secret_page(issued.client, token=issued.token)


@bp.get("/<int:integration_id>")
def detail(integration_id):
    return _detail(integration_id)


@bp.post("/<int:integration_id>")
def update(integration_id):
    values = {"scopes": request.form.getlist("scopes")[:20], "rate_limit": request.form.get("rate_limit", "")[:40]}
    try:
        clients.update_client(actor(), integration_id, values["scopes"], values["rate_limit"])
    except DomainError as error:
        if error.status == 404:
            raise
        return _detail(integration_id, {"form": error.message, **error.field_errors}, {**values, "events": []}, 422)
    flash(_("Scopes and rate limit saved."), "success")
    return redirect(url_for("integrations.detail", integration_id=integration_id), code=303)


@bp.post("/<int:integration_id>/rotate")
def rotate(integration_id):
    try:
        issued = clients.rotate_secret(actor(), integration_id)
    except DomainError as error:
        if error.status == 404:
            raise
        flash(str(error.message), "error")
        return redirect(url_for("integrations.detail", integration_id=integration_id), code=303)
    return _secret_page(issued.client, token=issued.token)


@bp.post("/<int:integration_id>/revoke")
def revoke(integration_id):
    clients.revoke_client(actor(), integration_id)
    flash(_("The token is revoked. Calls with it are refused from now on."), "success")
    return redirect(url_for("integrations.detail", integration_id=integration_id), code=303)


@bp.post("/<int:integration_id>/webhooks")
def add_webhook(integration_id):
    values = {"url": request.form.get("url", "")[:600], "events": request.form.getlist("events")[:10]}
    try:
        endpoint, secret = webhooks.add_endpoint(actor(), integration_id, values["url"], values["events"])
    except DomainError as error:
        if error.status == 404:
            raise
        client = clients.get_client(integration_id)
        values.update(scopes=client.scope_list, rate_limit=client.rate_limit)
        return _detail(integration_id, {"webhook": error.message, **error.field_errors}, values, 422)
    return _secret_page(clients.get_client(integration_id), webhook=endpoint, secret=secret)


@bp.post("/<int:integration_id>/webhooks/<int:endpoint_id>/remove")
def remove_webhook(integration_id, endpoint_id):
    if not any(e.id == endpoint_id for e in webhooks.endpoints_of(integration_id)):
        abort(404)
    webhooks.remove_endpoint(actor(), endpoint_id)
    flash(_("The webhook is removed; nothing more is sent to it."), "success")
    return redirect(url_for("integrations.detail", integration_id=integration_id), code=303)
