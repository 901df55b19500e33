"""Integration clients and their bearer tokens: register, rotate, revoke, and recognise a token.

A token is ``ck_`` + 32 random bytes (urlsafe base64). Only its SHA-256 is stored: with 256 bits of entropy
nobody can search the hash space, so a slow password hash (argon2) buys nothing here and would cost tens of
milliseconds on every API call; a plain hash can also be looked up by a unique index in one query.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from checkup.core import audit
from checkup.core.errors import NotFound, ValidationError
from checkup.models.base import db, utcnow
from checkup.models.integrations import SCOPES, IntegrationClient

TOKEN_PREFIX = "ck_"
RATE_LIMIT_RE = re.compile(r"^\d{1,6} per (second|minute|hour|day)$")
DEFAULT_RATE_LIMIT = "600 per minute"

# why a bearer token was refused (the problem's detail; never says which tokens exist)
MISSING, UNKNOWN, REVOKED, ROTATED = "missing", "unknown", "revoked", "rotated"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Issued:
    """A client just registered or rotated, with its token: shown once, never stored."""

    client: IntegrationClient
    token: str


def _clean_scopes(scopes: list[str] | tuple[str, ...]) -> str:
    chosen = [s for s in SCOPES if s in set(scopes)]
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValidationError(_l("Unknown scope."), {"scopes": _l("Unknown scope.")})
    if not chosen:
        raise ValidationError(_l("Choose at least one scope."), {"scopes": _l("Choose at least one scope.")})
    return " ".join(chosen)


def _clean_rate_limit(rate_limit: str) -> str:
    rate_limit = (rate_limit or DEFAULT_RATE_LIMIT).strip()
    if not RATE_LIMIT_RE.match(rate_limit):
        message = _l('Write the rate limit as "600 per minute" (per second, minute, hour or day).')
        raise ValidationError(message, {"rate_limit": message})
    return rate_limit


def register_client(actor: audit.Actor, name: str, scopes: list[str] | tuple[str, ...], rate_limit: str = "") -> Issued:
    """Register an outside system with ``scopes``; returns it with its token (to be shown once).
    Raises ValidationError for an empty or taken name, an unknown scope, a malformed rate limit."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationError(_l("Give the system a name (80 characters at most)."), {"name": _l("Required.")})
    clean_scopes = _clean_scopes(scopes)
    clean_limit = _clean_rate_limit(rate_limit)
    if IntegrationClient.select().where(IntegrationClient.name == name).exists():
        message = _l("A system with this name is already registered.")
        raise ValidationError(message, {"name": message})
    token = new_token()
    with db.atomic():
        client = IntegrationClient.create(
            name=name,
            scopes=clean_scopes,
            secret_hash=hash_token(token),
            rate_limit=clean_limit,
            created_by=actor.user_id,
            created_at=utcnow(),
        )
        audit.record(actor, "integration.registered", client, scopes=clean_scopes)
    return Issued(client, token)


def get_client(client_id: int) -> IntegrationClient:
    client = IntegrationClient.get_or_none(IntegrationClient.id == client_id)
    if client is None:
        raise NotFound(_l("No such integration client."))
    return client


def list_clients() -> list[IntegrationClient]:
    return list(
        IntegrationClient.select().order_by(IntegrationClient.revoked_at.is_null(False), IntegrationClient.name)
    )


def update_client(actor: audit.Actor, client_id: int, scopes: list[str], rate_limit: str) -> IntegrationClient:
    """Change a client's scopes and rate limit (its token stays)."""
    client = get_client(client_id)
    client.scopes = _clean_scopes(scopes)
    client.rate_limit = _clean_rate_limit(rate_limit)
    with db.atomic():
        client.save()
        audit.record(actor, "integration.updated", client, scopes=client.scopes, rate_limit=client.rate_limit)
    return client


def rotate_secret(actor: audit.Actor, client_id: int) -> Issued:
    """Give the client a new token; the old one stops working at once. Raises NotFound, ValidationError
    for a revoked client."""
    client = get_client(client_id)
    if not client.is_active:
        raise ValidationError(_l("This client is revoked; register a new one."))
    token = new_token()
    with db.atomic():
        updated = (
            IntegrationClient.update(
                previous_hash=client.secret_hash, secret_hash=hash_token(token), rotated_at=utcnow()
            )
            .where(IntegrationClient.id == client.id, IntegrationClient.revoked_at.is_null())
            .execute()
        )
        if not updated:
            raise ValidationError(_l("This client is revoked; register a new one."))
        audit.record(actor, "integration.rotated", client)
    return Issued(get_client(client_id), token)


def revoke_client(actor: audit.Actor, client_id: int) -> IntegrationClient:
    """Stop the client's token for good (idempotent). Its webhooks stop with it."""
    client = get_client(client_id)
    if client.is_active:
        with db.atomic():
            IntegrationClient.update(revoked_at=utcnow()).where(
                IntegrationClient.id == client.id, IntegrationClient.revoked_at.is_null()
            ).execute()
            audit.record(actor, "integration.revoked", client)
    return get_client(client_id)


def authenticate(token: str | None) -> tuple[IntegrationClient | None, str]:
    """The active client holding ``token``, or None and why (MISSING, UNKNOWN, REVOKED, ROTATED). One query
    for a known token."""
    if not token:
        return None, MISSING
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None, UNKNOWN
    digest = hash_token(token)
    client = IntegrationClient.get_or_none(IntegrationClient.secret_hash == digest)
    if client is not None:
        return (client, "") if client.is_active else (None, REVOKED)
    if IntegrationClient.select().where(IntegrationClient.previous_hash == digest).exists():
        return None, ROTATED
    return None, UNKNOWN


def has_scope(client: IntegrationClient, *scopes: str) -> bool:
    """True when the client holds every one of ``scopes``."""
    held = set(client.scope_list)
    return all(scope in held for scope in scopes)
