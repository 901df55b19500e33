"""The small family of domain errors services raise; views turn them into 4xx pages or fragments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask_babel.speaklater import LazyString


class DomainError(Exception):
    status = 400

    def __init__(self, message: str | LazyString, field_errors: Mapping[str, str | LazyString] | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field_errors = dict(field_errors or {})


class ValidationError(DomainError):
    """Input breaks a rule; ``field_errors`` maps form fields to messages."""

    status = 422


class NotFound(DomainError):
    status = 404


class PermissionDenied(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
