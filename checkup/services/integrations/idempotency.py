"""Idempotency keys on API writes: the same key with the same body gets the first answer again; the same
key with another body is refused (422), so a retried request can never do its work twice."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from peewee import IntegrityError

from checkup.models.base import db, utcnow
from checkup.models.integrations import IdempotencyKey, IntegrationClient

MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class Stored:
    status: int
    body: str


class KeyReused(Exception):
    """The key was used before with a different request body (or on another endpoint)."""


def request_hash(endpoint: str, body: bytes) -> str:
    return hashlib.sha256(endpoint.encode() + b"\n" + body).hexdigest()


def answered(client: IntegrationClient, key: str, endpoint: str, body: bytes) -> Stored | None:
    """The stored answer for ``key``, None if the key is new; raises KeyReused for another body."""
    row = IdempotencyKey.get_or_none(IdempotencyKey.client == client.id, IdempotencyKey.key == key)
    if row is None:
        return None
    if row.request_hash != request_hash(endpoint, body):
        raise KeyReused(key)
    return Stored(row.status, row.response_body)


def remember(client: IntegrationClient, key: str, endpoint: str, body: bytes, status: int, response_body: str) -> None:
    """Keep the answer for ``key`` (a concurrent twin that stored first wins; both answered the same work)."""
    try:
        with db.atomic():
            IdempotencyKey.create(
                client=client.id,
                key=key,
                endpoint=endpoint[:120],
                request_hash=request_hash(endpoint, body),
                status=status,
                response_body=response_body,
                created_at=utcnow(),
            )
    except IntegrityError:
        pass
