"""Webhooks out: an integration client subscribes an endpoint to events; each event owes one delivery per
subscribed endpoint, written in the transaction that made the change (a delivery row and its task row),
and sent by a task with an HMAC-SHA256 signature. A failed send raises, so the task table retries it on
its schedule (core/tasks.py RETRY_DELAYS); staff see every attempt on the admin's integrations page.

Signature header: ``X-Checkup-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.
A receiver recomputes it over the raw body and refuses a timestamp older than a few minutes (replay).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
import uuid
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from peewee import fn

from checkup.core import audit, tasks
from checkup.core.errors import NotFound, ValidationError
from checkup.core.prepared import PreparedSelect
from checkup.models import Appointment
from checkup.models.base import db, utcnow
from checkup.models.integrations import (
    DEAD,
    DELIVERED,
    EVENTS,
    FAILED,
    IntegrationClient,
    WebhookDelivery,
    WebhookEndpoint,
)
from checkup.services.booking import events as booking_events
from checkup.services.exam import events

SIGNATURE_HEADER = "X-Checkup-Signature"
EVENT_HEADER = "X-Checkup-Event"
DELIVERY_HEADER = "X-Checkup-Delivery"
TIMEOUT_SECONDS = 10
DELIVERIES_SHOWN = 50


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, now: int | None = None, tolerance: int = 300) -> bool:
    """What a receiver does (and the tests): the signature matches and the timestamp is recent."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs((now if now is not None else int(time.time())) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


# --- endpoints ----------------------------------------------------------------------------------------


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 500:
        message = _l("Enter the receiver's full http:// or https:// address.")
        raise ValidationError(message, {"url": message})
    return url


def _clean_events(chosen: list[str] | tuple[str, ...]) -> str:
    picked = [e for e in EVENTS if e in set(chosen)]
    if not picked or set(chosen) - set(EVENTS):
        message = _l("Choose at least one event from the list.")
        raise ValidationError(message, {"events": message})
    return " ".join(picked)


def add_endpoint(
    actor: audit.Actor, client_id: int, url: str, chosen_events: list[str] | tuple[str, ...]
) -> tuple[WebhookEndpoint, str]:
    """Subscribe ``url`` to events for the client; returns the endpoint and its signing secret (shown once
    on the page; kept as is because signing needs it)."""
    client = IntegrationClient.get_or_none(IntegrationClient.id == client_id)
    if client is None:
        raise NotFound(_l("No such integration client."))
    if not client.is_active:
        raise ValidationError(_l("This client is revoked; register a new one."))
    secret = "whsec_" + secrets.token_urlsafe(32)
    with db.atomic():
        endpoint = WebhookEndpoint.create(
            client=client.id,
            url=_clean_url(url),
            secret=secret,
            events=_clean_events(chosen_events),
            created_at=utcnow(),
        )
        audit.record(actor, "integration.webhook_added", endpoint, integration=client.id, events=endpoint.events)
    return endpoint, secret


def remove_endpoint(actor: audit.Actor, endpoint_id: int) -> None:
    """Stop sending to the endpoint (its delivery log stays)."""
    with db.atomic():
        changed = WebhookEndpoint.update(active=False).where(WebhookEndpoint.id == endpoint_id).execute()
        if not changed:
            raise NotFound(_l("No such webhook."))
        audit.record(actor, "integration.webhook_removed", WebhookEndpoint(id=endpoint_id))


def endpoints_of(client_id: int) -> list[WebhookEndpoint]:
    return list(
        WebhookEndpoint.select()
        .where(WebhookEndpoint.client == client_id)
        .order_by(WebhookEndpoint.active.desc(), WebhookEndpoint.id)
    )


def deliveries_of(client_id: int, limit: int = DELIVERIES_SHOWN) -> list[WebhookDelivery]:
    """The client's latest deliveries, newest first, with their endpoint (one query)."""
    return list(
        WebhookDelivery.select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint)
        .where(WebhookEndpoint.client == client_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )


def _failing_counts_query():
    return (
        WebhookDelivery.select(WebhookEndpoint.client, fn.COUNT(WebhookDelivery.id).alias("n"))
        .join(WebhookEndpoint)
        .where(WebhookDelivery.state.in_((FAILED, DEAD)))
        .group_by(WebhookEndpoint.client)
    )


# read on every visit of the list page: built once per process
_FAILING_COUNTS = PreparedSelect(_failing_counts_query, "checkup_webhook_failing_counts", samples=())


def failing_counts():
    """Client id -> deliveries failed or given up, for the list page (one query)."""
    return {client_id: count for client_id, count in _FAILING_COUNTS.plain()}


# --- owing and sending ------------------------------------------------------------------------------


def emit(event: str, data: dict[str, Any]) -> list[int]:
    """Owe ``event`` to every active endpoint of an active client subscribed to it: a delivery row and its
    task, in the caller's transaction. Returns the delivery ids."""
    assert event in EVENTS, event
    endpoints = (
        WebhookEndpoint.select(WebhookEndpoint.id, WebhookEndpoint.events)
        .join(IntegrationClient)
        .where(WebhookEndpoint.active == True, IntegrationClient.revoked_at.is_null())  # noqa: E712
    )
    ids = []
    for endpoint in endpoints:
        if event not in endpoint.event_list:
            continue
        event_id = uuid.uuid4().hex
        payload = json.dumps(
            {"id": event_id, "event": event, "created_at": utcnow().isoformat() + "Z", "data": data},
            ensure_ascii=False,
            sort_keys=True,
        )
        delivery = WebhookDelivery.create(
            endpoint=endpoint.id, event=event, event_id=event_id, payload=payload, created_at=utcnow()
        )
        tasks.defer("webhook.deliver", delivery.id, dedupe_key=f"webhook.deliver:{delivery.id}")
        ids.append(delivery.id)
    return ids


def _appointment_data(appointment, status: str) -> dict[str, Any]:
    """What an appointment event says: ids and codes, never a name or an identifier of the person."""
    return {
        "appointment_id": appointment.id,
        "exam_code": appointment.exam_code,
        "client_id": appointment.client_id,
        "day": appointment.day.isoformat(),
        "status": status,
    }


@booking_events.appointment_booked.connect
def _appointment_booked(appointment, **_):
    emit("appointment.booked", _appointment_data(appointment, "booked"))


@booking_events.appointment_cancelled.connect
def _appointment_cancelled(appointment, **_):
    emit("appointment.cancelled", _appointment_data(appointment, "cancelled"))


@events.appointment_checked_in.connect
def _appointment_checked_in(appointment, **_):
    emit("appointment.checked_in", _appointment_data(appointment, "checked_in"))


@events.critical_value_raised.connect
def _critical_value_raised(alert, result=None, appointment=None, **_):
    # the item and its flag, not the value: the receiver reads the value through /fhir with its own scope
    emit(
        "critical_value.raised",
        {
            "alert_id": alert.id,
            "appointment_id": appointment.id,
            "exam_code": appointment.exam_code,
            "client_id": appointment.client_id,
            "result_id": result.id,
            "item_code": result.item.code,
            "flag": result.flag,
        },
    )


@events.report_signed.connect
def _report_signed(report, actor=None, **_):
    """A first version is `report.signed`; a later one (an amendment) is `report.amended`."""
    appointment = Appointment.get_by_id(report.appointment_id)
    emit(
        "report.amended" if report.version > 1 else "report.signed",
        {
            "report_id": report.id,
            "version": report.version,
            "appointment_id": appointment.id,
            "exam_code": appointment.exam_code,
            "client_id": appointment.client_id,
            "signed_at": report.signed_at.isoformat() + "Z" if report.signed_at else None,
            "amendment": report.version > 1,
        },
    )


@tasks.handler("webhook.deliver", lease_minutes=2)
def deliver(delivery_id: int) -> None:
    """POST the delivery to its endpoint, signed. A 2xx marks it delivered; anything else is recorded on the
    delivery and raised, so the task is tried again on schedule (and given up after the last try)."""
    delivery = (
        WebhookDelivery.select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint)
        .where(WebhookDelivery.id == delivery_id)
        .first()
    )
    if delivery is None or delivery.state == DELIVERED:
        return
    endpoint = delivery.endpoint
    body = delivery.payload.encode("utf-8")
    timestamp = int(time.time())
    request = urllib.request.Request(
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "checkup-portal-webhooks/1",
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: delivery.event_id,
            SIGNATURE_HEADER: sign(endpoint.secret, timestamp, body),
        },
    )
    status, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (http/https only)
            status = response.status
    except urllib.error.HTTPError as refused:
        status, error = refused.code, f"HTTP {refused.code}"
    except (urllib.error.URLError, OSError) as failed:
        error = str(getattr(failed, "reason", failed))[:400] or type(failed).__name__
    now = utcnow()
    attempts = delivery.attempts + 1
    if status is not None and 200 <= status < 300:
        WebhookDelivery.update(
            state=DELIVERED, attempts=attempts, last_status=status, last_error="", last_attempt_at=now, delivered_at=now
        ).where(WebhookDelivery.id == delivery.id).execute()
        return
    final = tasks.next_attempt_after_failure() is None
    WebhookDelivery.update(
        state=DEAD if final else FAILED,
        attempts=attempts,
        last_status=status,
        last_error=error[:500],
        last_attempt_at=now,
    ).where(WebhookDelivery.id == delivery.id).execute()
    raise tasks.RetryLater(f"webhook {delivery.id} to {urlsplit(endpoint.url).hostname}: {error}")
