"""Exam codes: the short code on the guide sheet, the specimen labels and the calendar invitation.

A code names the checkup, not its day: a moved appointment keeps it (and with it the invitation's UID),
so nothing printed or sent can go stale. "T" and 8 characters from an alphabet without look-alikes
(0/O, 1/I, 5/S, 8/B, 2/Z): 26^8 ≈ 2·10^11 codes, typed or scanned without doubt. Codes of earlier
versions (``yymmdd`` + 5) still exist and are still found.
"""

import re
import secrets

from checkup.models import Appointment

EXAM_CODE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"
PREFIX = "T"
LENGTH = 8
ATTEMPTS = 8  # a collision is about 1 in 10^11 per code in use; eight in a row means something is broken

_CODE = re.compile(rf"{PREFIX}[{EXAM_CODE_ALPHABET}]{{{LENGTH}}}")
_DATED_CODE = re.compile(rf"[0-9]{{6}}[{EXAM_CODE_ALPHABET}]{{5}}")  # before issue 13: yymmdd + 5


class NoFreeExamCode(RuntimeError):
    """Every attempt drew a code already in use."""


def _draw():
    return PREFIX + "".join(secrets.choice(EXAM_CODE_ALPHABET) for _ in range(LENGTH))


def new_exam_code():
    """A code no appointment has yet (drawn again on a collision). The unique index on
    ``appointment.exam_code`` still guards the moment between this check and the insert."""
    for _attempt in range(ATTEMPTS):
        code = _draw()
        if not Appointment.select(Appointment.id).where(Appointment.exam_code == code).exists():
            return code
    raise NoFreeExamCode(f"no free exam code after {ATTEMPTS} attempts")


def looks_like_exam_code(text):
    """Whether ``text`` (upper case) has the shape of an exam code, current or dated."""
    return bool(_CODE.fullmatch(text) or _DATED_CODE.fullmatch(text))
