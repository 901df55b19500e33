"""HL7 v2 results in: an ORU^R01 message (ER7) from the LIS becomes instrument results, and an ACK says what
became of it (MSA-1 AA accepted, AE refused for its content, AR not readable as an ORU^R01; one ERR segment
per refusal, naming the segment, its sequence and the field).

The library is python-hl7 (``hl7`` on PyPI), not hl7apy: LIS boxes send messages that break the standard's
message structures (Z segments, OBX outside an OBR group, missing "required" fields, a version they do not
keep to), and python-hl7 reads them as they are, unescapes field text, and addresses fields by their
1-based numbers as the standard counts them; hl7apy validates against the structures first, and its
tolerant mode gives nothing more for reading ORUs. Pure Python, no dependencies.

Character set: MSH-18 says which (``UNICODE UTF-8``, ``GB 18030-2000``, ``GBK``, ``ASCII`` …); a message
that names none is read as UTF-8, and bytes that are not UTF-8 as GB18030 (what a Chinese LIS sends when it
says nothing). A named set the bytes do not fit, or one we do not know, is refused (AR, MSH-18). The ACK is
written in the message's own character set.

Mapping:

* the checkup: the exam code in OBR-2 (placer order number), else OBR-3 (filler order number), else PID-3
  (any repetition) — an exam code, or a specimen label ``<exam code>-<container>``;
* OBX-3: the item by LOINC when the coding system is LN (``ExamItem.loinc``), else by the center's item
  code (the identifier, then the alternate identifier); it must be one of the checkup's items;
* OBX-5 the value (NM, or SN without comparator), OBX-6 the unit: the catalog's, or one the catalog knows how to
  convert from for that analyte (services/catalog/units.py, as for the REST API: 99 mg/dL of glucose is stored
  as 5.50 mmol/L); any other unit is refused at OBX-6;
* OBX-7 and OBX-8 (the analyser's range and flags) are only recorded: the flag is the catalog range's for the
  client's sex and age, one rule everywhere (services/exam/results.py);
* OBX-11: F (final) and C (correction) are stored; P, I, R, S and X (not final, no result) are passed over;
* OBX-14 and OBX-18 (observed at, instrument) travel with the value into the audit trail.

Values go through the instrument path (``result_conflicts.receive_instrument_result``), as the analyser CSV
import and the REST API do: a value for an empty item is stored and flagged (a critical one opens its alert
at once), the same value changes nothing, a different one waits in the station's conflict list. All or
nothing (rule 8): a message is stored in one transaction, and when any OBX is refused nothing stays and the
ACK lists every refusal.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import hl7
from flask_babel import lazy_gettext as _l

from checkup.core import audit, clock
from checkup.core.errors import NotFound, ValidationError
from checkup.models import Appointment, AppointmentItem, ExamItem
from checkup.models.base import db
from checkup.models.catalog import CONTAINER_CODES
from checkup.services.catalog import units
from checkup.services.exam import result_conflicts, results

ACCEPTED, ERROR, REJECTED = "AA", "AE", "AR"
SOURCE = "hl7"  # ResultConflict.source of a value that came in an HL7 message
ACK_VERSION = "2.5.1"
SENDING_APPLICATION = "CHECKUP"
MAX_MESSAGE_BYTES = 1_000_000  # a results message is a few kB; a megabyte is not a message

# HL7 table 0357 (message error condition codes)
REQUIRED_MISSING, DATA_TYPE, TABLE_VALUE = "101", "102", "103"
UNSUPPORTED_TYPE, UNSUPPORTED_EVENT, UNKNOWN_KEY, RECORD_LOCKED, INTERNAL = "200", "201", "204", "206", "207"
SEGMENT_SEQUENCE = "100"
CONDITION_NAMES = {
    SEGMENT_SEQUENCE: "Segment sequence error",
    REQUIRED_MISSING: "Required field missing",
    DATA_TYPE: "Data type error",
    TABLE_VALUE: "Table value not found",
    UNSUPPORTED_TYPE: "Unsupported message type",
    UNSUPPORTED_EVENT: "Unsupported event code",
    UNKNOWN_KEY: "Unknown key identifier",
    RECORD_LOCKED: "Application record locked",
    INTERNAL: "Application internal error",
}

STORED_STATUSES = ("F", "C", "")  # final, correction; a missing OBX-11 is read as final
PASSED_OVER_STATUSES = ("P", "I", "R", "S", "X")  # preliminary, pending, unverified, partial, no result
LOINC_SYSTEMS = ("LN", "LOINC", "HTTP://LOINC.ORG")

# MSH-18 as LIS boxes write it -> the Python codec (keys: upper case, spaces and dashes removed)
CHARSETS = {
    "": None,
    "UNICODEUTF8": "utf-8",
    "UTF8": "utf-8",
    "ASCII": "utf-8",  # ASCII is UTF-8's first half: read leniently
    "GB18030": "gb18030",
    "GB180302000": "gb18030",
    "GB180302005": "gb18030",
    "GBK": "gb18030",  # GB18030 is a superset of GBK and GB2312
    "GB2312": "gb18030",
    "88591": "latin-1",
}


@dataclass
class Refusal:
    """Why a part of the message was refused: where (segment, its sequence, field) and the HL7 condition."""

    segment: str
    sequence: int
    field: int
    condition: str
    message: str

    @property
    def location(self):
        return f"{self.segment}^{self.sequence}^{self.field}"


@dataclass
class Outcome:
    """What one message did; ``ack`` is the answer to send back, encoded as the message was."""

    code: str
    control_id: str = ""
    refusals: list = field(default_factory=list)
    stored: int = 0
    unchanged: int = 0
    conflicts: int = 0
    critical: int = 0
    passed_over: int = 0
    appointments: list = field(default_factory=list)
    charset: str = "utf-8"
    ack: bytes = b""

    @property
    def text(self):
        return ack_text(self)


class _Rejected(Exception):
    def __init__(self, refusal):
        super().__init__(refusal.message)
        self.refusal = refusal


# --- reading the bytes ----------------------------------------------------------------------------------


def _first_segment(raw):
    start = raw.find(b"MSH")
    if start < 0:
        return b""
    end = len(raw)
    for stop in (b"\r", b"\n"):
        found = raw.find(stop, start)
        if found >= 0:
            end = min(end, found)
    return raw[start:end]


def declared_charset(raw):
    """MSH-18 as written (read from the bytes before decoding them), or ""."""
    msh = _first_segment(raw)
    if len(msh) < 4:
        return ""
    parts = msh.split(msh[3:4])
    return parts[17].decode("latin-1").strip() if len(parts) > 17 else ""


def decode(raw, fallback=None):
    """(text, codec) of a message's bytes; raises _Rejected (MSH-18) when they cannot be read.

    ``fallback`` is a charset named outside the message (an HTTP Content-Type), used when MSH-18 is empty.
    """
    label = declared_charset(raw)
    key = "".join(ch for ch in label.upper() if ch.isalnum())
    if key not in CHARSETS:
        raise _Rejected(
            Refusal("MSH", 1, 18, TABLE_VALUE, _l("The character set %(charset)s is not supported.", charset=label))
        )
    codec = CHARSETS[key]
    if codec is None and fallback:
        codec = CHARSETS.get("".join(ch for ch in fallback.upper() if ch.isalnum()))
    if codec is None:
        try:
            return raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            codec = "gb18030"  # no charset named and not UTF-8: what a Chinese LIS sends
    try:
        return raw.decode(codec), codec
    except UnicodeDecodeError:
        raise _Rejected(
            Refusal(
                "MSH",
                1,
                18,
                DATA_TYPE,
                _l("The message is not valid %(charset)s text.", charset=label or codec.upper()),
            )
        )


def _clean(text):
    # MLLP framing left in, and the line ends a file or an HTTP client may use instead of <CR>
    text = text.strip("\x0b\x1c\r\n \t\ufeff")
    return text.replace("\r\n", "\r").replace("\n", "\r")


def _value(segment, field_no, repetition=1, component=1):
    """One component of one field (unescaped), "" where the segment does not go that far."""
    try:
        return str(segment.extract_field(1, field_no, repetition, component, 1)).strip()
    except (IndexError, KeyError, AttributeError):
        return ""


def _repetitions(segment, field_no, limit=10):
    """The first component of every repetition of a field."""
    found = []
    for repetition in range(1, limit + 1):
        try:
            value = str(segment.extract_field(1, field_no, repetition, 1, 1)).strip()
        except (IndexError, KeyError, AttributeError):
            break
        if value:
            found.append(value)
    return found


# --- the ACK ------------------------------------------------------------------------------------------


def escape(text):
    """Text for an ER7 field with the standard separators |^~\\&."""
    text = " ".join(str(text).split())
    for plain, escaped in (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\")):
        text = text.replace(plain, escaped)
    return text


def ack_text(outcome):
    if outcome.code == ACCEPTED:
        return str(
            _l(
                "Accepted: %(stored)d stored, %(unchanged)d unchanged, %(conflicts)d waiting for the station, "
                "%(passed)d not final.",
                stored=outcome.stored,
                unchanged=outcome.unchanged,
                conflicts=outcome.conflicts,
                passed=outcome.passed_over,
            )
        )
    if outcome.code == ERROR:
        return str(_l("Nothing was stored: %(count)d refused.", count=len(outcome.refusals)))
    return str(_l("The message was rejected."))


def build_ack(outcome, header):
    """The ACK as ER7 text: MSH, MSA and one ERR per refusal (ERR-1 for v2.3/2.4 receivers, ERR-2/3/4/8 for
    v2.5 ones). ``header``: the incoming MSH fields it echoes (sending application and facility, event,
    processing id, version, charset)."""
    stamp = clock.now().strftime("%Y%m%d%H%M%S")
    event = header.get("event") or "R01"
    msh = [
        "MSH",
        "^~\\&",
        SENDING_APPLICATION,
        escape(header.get("receiving_facility", "")),
        escape(header.get("sending_application", "")),
        escape(header.get("sending_facility", "")),
        stamp,
        "",
        f"ACK^{escape(event)}^ACK",
        "A" + secrets.token_hex(9),
        escape(header.get("processing_id") or "P"),
        escape(header.get("version") or ACK_VERSION),
        "",
        "",
        "",
        "",
        "",
        escape(header.get("charset", "")),
    ]
    segments = ["|".join(msh), "|".join(["MSA", outcome.code, escape(outcome.control_id), escape(outcome.text)])]
    for refusal in outcome.refusals:
        name = CONDITION_NAMES.get(refusal.condition, "")
        segments.append(
            "|".join(
                [
                    "ERR",
                    f"{refusal.segment}^{refusal.sequence}^{refusal.field}^{refusal.condition}&{name}&HL70357",
                    refusal.location,
                    f"{refusal.condition}^{name}^HL70357",
                    "E",
                    "",
                    "",
                    "",
                    escape(refusal.message),
                ]
            )
        )
    return "\r".join(segments) + "\r"


def _header(message):
    msh = message.segment("MSH")
    return {
        "sending_application": _value(msh, 3),
        "sending_facility": _value(msh, 4),
        "receiving_facility": _value(msh, 6),
        "type": _value(msh, 9, 1, 1).upper(),
        "event": _value(msh, 9, 1, 2).upper(),
        "control_id": _value(msh, 10),
        "processing_id": _value(msh, 11),
        "version": _value(msh, 12),
        "charset": str(msh[18]).strip() if len(msh) > 18 else "",
    }


# --- the message ----------------------------------------------------------------------------------------


@dataclass
class _Group:
    """One OBR (or the PID when OBX come without an OBR) and the checkup it names."""

    segment: str
    sequence: int
    codes: list
    appointment: Appointment | None = None
    items: dict = field(default_factory=dict)  # (system, code) -> ExamItem
    refusal: Refusal | None = None


def _find_appointment(codes):
    candidates = []
    for code in codes:
        code = "".join(code.split())
        candidates += [code, code.upper()]
        prefix, dash, suffix = code.rpartition("-")
        if dash and prefix and suffix.upper() in CONTAINER_CODES:
            candidates += [prefix, prefix.upper()]
    candidates = list(dict.fromkeys(c[: Appointment.exam_code.max_length] for c in candidates if c))
    if not candidates:
        return None
    found = {
        a.exam_code: a
        for a in Appointment.select(Appointment.id, Appointment.exam_code, Appointment.status, Appointment.client)
        .where(Appointment.exam_code.in_(candidates))
        .limit(len(candidates))
    }
    return next((found[c] for c in candidates if c in found), None)


def _items_of(appointment):
    """The checkup's items by ("local", code) and ("loinc", code): one query."""
    items = {}
    for item in (
        ExamItem.select()
        .join(AppointmentItem, on=(AppointmentItem.item == ExamItem.id))
        .where(AppointmentItem.appointment == appointment.id)
    ):
        items[("local", item.code.upper())] = item
        loinc = getattr(item, "loinc", "")
        if loinc:
            items[("loinc", loinc.upper())] = item
    return items


def _open_group(segment_id, sequence, codes, pid_codes):
    group = _Group(segment_id, sequence, codes)
    appointment = _find_appointment(codes or pid_codes)
    if appointment is None:
        shown = ", ".join((codes or pid_codes)[:3]) or "-"
        where = (segment_id, sequence, 2) if codes else ("PID", 1, 3)
        if not codes and not pid_codes:
            group.refusal = Refusal(*where, REQUIRED_MISSING, _l("No exam code: send it in OBR-2, OBR-3 or PID-3."))
        else:
            group.refusal = Refusal(*where, UNKNOWN_KEY, _l("No checkup has the exam code %(code)s.", code=shown))
        return group
    refusal = results.entry_refusal(appointment, results.is_locked(appointment.id))
    if refusal:
        group.refusal = Refusal(segment_id, sequence, 2 if codes else 3, RECORD_LOCKED, refusal)
        return group
    group.appointment = appointment
    group.items = _items_of(appointment)
    return group


def _item_for(group, obx):
    for offset in (0, 3):  # the identifier, then the alternate identifier
        code = _value(obx, 3, 1, 1 + offset).upper()
        system = _value(obx, 3, 1, 3 + offset).upper()
        if not code:
            continue
        kind = "loinc" if system in LOINC_SYSTEMS else "local"
        item = group.items.get((kind, code)) or (group.items.get(("local", code)) if kind == "loinc" else None)
        if item is not None:
            return item
    return None


def _number_text(obx):
    """OBX-5 as the text of a number, or raise ValidationError for a value a number cannot hold."""
    value_type = _value(obx, 2).upper()
    if value_type == "SN":  # structured numeric: comparator ^ number ^ separator ^ number
        comparator, number, separator = _value(obx, 5, 1, 1), _value(obx, 5, 1, 2), _value(obx, 5, 1, 3)
        if comparator not in ("", "=") or separator:
            raise ValidationError(
                _l(
                    "%(value)s has a comparator or a ratio; only a plain number can be stored.",
                    value=" ".join(p for p in (comparator, number, separator) if p),
                )
            )
        return number
    return _value(obx, 5)


def _receive_observation(actor, outcome, group, obx, sequence, control_id):
    """Store one OBX (a refusal is appended to ``outcome.refusals`` instead)."""
    status = _value(obx, 11).upper()
    if status in PASSED_OVER_STATUSES:
        outcome.passed_over += 1
        return
    if status not in STORED_STATUSES:
        outcome.refusals.append(
            Refusal(
                "OBX",
                sequence,
                11,
                TABLE_VALUE,
                _l("Result status %(status)s is not taken; send F (final) or C (correction).", status=status),
            )
        )
        return
    item = _item_for(group, obx)
    if item is None:
        code = _value(obx, 3, 1, 1) or "-"
        outcome.refusals.append(
            Refusal("OBX", sequence, 3, UNKNOWN_KEY, _l("%(code)s is not an item of this checkup.", code=code))
        )
        return
    unit = _value(obx, 6)
    instrument = _value(obx, 18)
    source_ref = " ".join(p for p in (control_id, f"OBX-{sequence}", instrument, _value(obx, 14)) if p)
    try:
        value = units.convert(item.code, item.loinc or "", item.unit or "", unit, _number_text(obx))
        received = result_conflicts.receive_instrument_result(
            actor, group.appointment.id, item.code, value, source=SOURCE, source_ref=source_ref[:200]
        )
    except units.UnknownConversion:
        outcome.refusals.append(
            Refusal(
                "OBX",
                sequence,
                6,
                DATA_TYPE,
                _l(
                    "%(item)s is kept in %(expected)s and no conversion from %(unit)s is known.",
                    item=item.code,
                    expected=item.unit or "-",
                    unit=unit,
                ),
            )
        )
        return
    except ValidationError as error:
        where = 5 if item.result_type == "numeric" else 3
        outcome.refusals.append(Refusal("OBX", sequence, where, DATA_TYPE, error.message))
        return
    except NotFound as error:
        outcome.refusals.append(Refusal("OBX", sequence, 3, UNKNOWN_KEY, error.message))
        return
    if received.kind == result_conflicts.NEW:
        outcome.stored += 1
        outcome.critical += 1 if received.alert is not None else 0
    elif received.kind == result_conflicts.SAME:
        outcome.unchanged += 1
    else:
        outcome.conflicts += 1


def _store(actor, message, outcome):
    """Every OBX of the message in one transaction; rolled back when any is refused."""
    pid_codes, group, obr_count, obx_count = [], None, 0, 0
    with db.atomic() as transaction:
        for segment in message:
            kind = str(segment[0]).strip().upper()
            if kind == "PID":
                pid_codes, group = _repetitions(segment, 3), None
            elif kind == "OBR":
                obr_count += 1
                codes = [c for c in (_value(segment, 2), _value(segment, 3)) if c]
                group = _open_group("OBR", obr_count, codes, pid_codes)
                if group.refusal is not None:
                    outcome.refusals.append(group.refusal)
            elif kind == "OBX":
                obx_count += 1
                sequence = int(_value(segment, 1)) if _value(segment, 1).isdigit() else obx_count
                if group is None:  # OBX straight after the PID: the PID names the checkup
                    group = _open_group("PID", 1, [], pid_codes)
                    if group.refusal is not None:
                        outcome.refusals.append(group.refusal)
                if group.appointment is None:
                    continue  # refused with its OBR
                if group.appointment.id not in outcome.appointments:
                    outcome.appointments.append(group.appointment.id)
                _receive_observation(actor, outcome, group, segment, sequence, outcome.control_id)
        if obx_count == 0 and not outcome.refusals:
            outcome.refusals.append(
                Refusal("OBX", 1, 0, SEGMENT_SEQUENCE, _l("The message has no OBX segment: no result to store."))
            )
        if outcome.refusals:
            transaction.rollback()
            outcome.stored = outcome.unchanged = outcome.conflicts = outcome.critical = 0


def receive_oru(actor, raw, channel="http", fallback_charset=None, integration=None, refused_because=None):
    """Receive one ER7 message (bytes) and return its Outcome, whose ``ack`` is the answer to send.

    ``integration``: the id of the IntegrationClient that sent it (kept in the audit event);
    ``refused_because``: a reason to reject a readable message without storing anything (the MLLP
    listener's client was revoked meanwhile).

    Never raises for what the message holds: anything refused is in the ACK. AR: not an ORU^R01 we can read
    (framing, character set, MSH, message type or event); AE: an ORU^R01 whose content was refused — no
    checkup for the exam code, results locked, an item not in the checkup, a value or unit the item does not
    take, a result status we do not store; nothing is stored then. AA: every final OBX went through the
    instrument path (stored, unchanged or waiting as a conflict). Audited ``hl7.received`` either way.
    """
    outcome = Outcome(REJECTED)
    header = {}
    try:
        if not raw or len(raw) > MAX_MESSAGE_BYTES:
            raise _Rejected(Refusal("MSH", 1, 0, SEGMENT_SEQUENCE, _l("The message is empty or too large.")))
        text, outcome.charset = decode(raw, fallback_charset)
        text = _clean(text)
        if not text.startswith("MSH") or len(text) < 8:
            raise _Rejected(
                Refusal("MSH", 1, 0, SEGMENT_SEQUENCE, _l("The message does not begin with an MSH segment."))
            )
        try:
            message = hl7.parse(text)
            header = _header(message)
        except Exception:  # python-hl7 raises several kinds on malformed text; all mean the same to the LIS
            raise _Rejected(Refusal("MSH", 1, 0, SEGMENT_SEQUENCE, _l("The message could not be read as HL7 v2.")))
        outcome.control_id = header["control_id"]
        if not outcome.control_id:
            raise _Rejected(Refusal("MSH", 1, 10, REQUIRED_MISSING, _l("MSH-10 (message control id) is empty.")))
        if header["type"] != "ORU":
            raise _Rejected(
                Refusal(
                    "MSH",
                    1,
                    9,
                    UNSUPPORTED_TYPE,
                    _l("Only ORU^R01 result messages are taken, not %(type)s.", type=header["type"] or "-"),
                )
            )
        if header["event"] not in ("R01", ""):
            raise _Rejected(
                Refusal(
                    "MSH",
                    1,
                    9,
                    UNSUPPORTED_EVENT,
                    _l("Only ORU^R01 result messages are taken, not ORU^%(event)s.", event=header["event"]),
                )
            )
        if refused_because:
            raise _Rejected(Refusal("MSH", 1, 3, INTERNAL, refused_because))
        _store(actor, message, outcome)
        outcome.code = ERROR if outcome.refusals else ACCEPTED
    except _Rejected as rejected:
        outcome.code = REJECTED
        outcome.refusals = [rejected.refusal]
    ack = build_ack(outcome, header)
    try:
        outcome.ack = ack.encode(outcome.charset)
    except UnicodeEncodeError:
        outcome.ack = ack.encode("utf-8")
    first = Appointment(id=outcome.appointments[0]) if outcome.appointments else None
    audit.record(
        actor,
        "hl7.received",
        first,
        channel=channel,
        integration=integration,
        control_id=outcome.control_id[:60],
        sender=header.get("sending_application", "")[:60],
        ack=outcome.code,
        stored=outcome.stored,
        unchanged=outcome.unchanged,
        conflicts=outcome.conflicts,
        critical=outcome.critical,
        passed_over=outcome.passed_over,
        refused=[r.location for r in outcome.refusals][:20],
        appointments=outcome.appointments[:20],
        charset=outcome.charset,
    )
    return outcome
