"""Imaging and ECG reports from PACS/RIS: the conclusion text becomes the item's result (as a station would
enter it), the optional PDF or image is kept beside it, checked by size and by its bytes (not its name).

Never silently replaced: a conclusion for an item that already has a different result is refused (409),
the station doctor decides. Idempotent by the sender's external id."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from checkup.core import audit
from checkup.core.errors import Conflict, ValidationError
from checkup.core.stored_files import write_atomically
from checkup.core.upload_files import size_text
from checkup.models import Result
from checkup.models.base import db, utcnow
from checkup.models.integrations import ExternalReport, IntegrationClient
from checkup.services.exam import results
from checkup.services.integrations.results_in import appointment_by_exam_code

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_CONCLUSION = 4000
# the file types a report may carry, by their first bytes
MAGIC = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


@dataclass(frozen=True)
class Attachment:
    content: bytes
    declared_type: str = ""


def attachment_kind(attachment: Attachment) -> tuple[str, str]:
    """(MIME type, extension) by the file's bytes; ValidationError when empty, too large or another type
    (or when the declared type disagrees with the bytes)."""
    content = attachment.content
    if not content:
        raise ValidationError(_l("The file is empty."), {"file": _l("The file is empty.")})
    if len(content) > MAX_ATTACHMENT_BYTES:
        message = _l("The file is larger than %(size)s.", size=size_text(MAX_ATTACHMENT_BYTES))
        raise ValidationError(message, {"file": message})
    for magic, mime, ext in MAGIC:
        if content.startswith(magic):
            declared = attachment.declared_type.split(";")[0].strip().lower()
            if declared and declared not in (mime, "application/octet-stream"):
                break
            return mime, ext
    message = _l("Attach a PDF, PNG or JPEG file.")
    raise ValidationError(message, {"file": message})


def _attachments_dir() -> Path:
    return Path(current_app.instance_path) / "external_reports"


def receive_report(
    actor: audit.Actor,
    client: IntegrationClient,
    exam_code: str,
    item_code: str,
    external_id: str,
    conclusion: str,
    abnormal: bool = False,
    attachment: Attachment | None = None,
) -> tuple[ExternalReport, bool]:
    """Store the conclusion as the item's result and keep the file; returns (the stored report, created).
    Raises NotFound (exam code), ValidationError (item, text, file), Conflict (another result is there)."""
    seen = ExternalReport.get_or_none(ExternalReport.client == client.id, ExternalReport.external_id == external_id)
    if seen is not None:
        return seen, False
    conclusion = (conclusion or "").strip()
    if not conclusion or len(conclusion) > MAX_CONCLUSION:
        message = _l("Write the conclusion (at most %(max)d characters).", max=MAX_CONCLUSION)
        raise ValidationError(message, {"conclusion": message})
    kind = attachment_kind(attachment) if attachment is not None else None
    appointment = appointment_by_exam_code(exam_code)
    item = results.appointment_item(appointment.id, item_code)
    if item.result_type == "numeric":
        raise ValidationError(_l("This item takes a number; send it as a result."))
    text = conclusion[: results.MAX_TEXT_LENGTH]
    file_values: dict[str, object] = {}
    if attachment is not None and kind is not None:
        checksum = hashlib.sha256(attachment.content).hexdigest()
        relative = f"{appointment.id}/{checksum}.{kind[1]}"
        write_atomically(_attachments_dir() / relative, attachment.content)
        file_values = dict(
            file_path=relative, file_type=kind[0], file_checksum=checksum, file_size=len(attachment.content)
        )
    with db.atomic():
        existing = Result.get_or_none(Result.appointment == appointment.id, Result.item == item.id)
        if existing is not None and (existing.skipped or existing.value_text != text):
            raise Conflict(_l("This item already has a different result; the station doctor decides."))
        result = existing or results.record_result(
            actor, appointment.id, item.id, text, abnormal=abnormal, source="instrument"
        )
        stored = ExternalReport.create(
            client=client.id,
            external_id=external_id,
            appointment=appointment.id,
            item=item.id,
            result=result.id if result is not None else None,
            conclusion=conclusion,
            received_at=utcnow(),
            **file_values,
        )
        audit.record(actor, "results.external_report", stored, appointment=appointment.id, item=item.code)
    return stored, True
