"""Chinese resident ID numbers: validation, keyed hash for lookup, encryption, masking.

The database never holds the number in clear: a keyed HMAC finds a client by ID,
and Fernet ciphertext lets staff screens show it masked.
"""

import base64
import datetime
import functools
import hashlib
import hmac
import unicodedata

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def normalize(value: str | None) -> str:
    """Upper case, no spaces, and full-width digits/letters (from Chinese input methods) made ASCII."""
    return unicodedata.normalize("NFKC", value or "").strip().upper().replace(" ", "")


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def problem(value: str | None) -> str | None:
    """None if ``value`` is a well-formed 18-digit ID, else a short English reason code."""
    value = normalize(value)
    if (
        len(value) != 18
        or not value[:17].isascii()
        or not value[:17].isdigit()
        or not (value[17].isdigit() or value[17] == "X")
    ):
        return "format"
    try:
        datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "birth_date"
    if check_digit(value[:17]) != value[17]:
        return "checksum"
    return None


def birth_date(value: str | None) -> datetime.date:
    value = normalize(value)
    return datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def sex(value: str | None) -> str:
    """The 17th digit is odd for men and even for women."""
    return "male" if int(normalize(value)[16]) % 2 else "female"


def _key_bytes(purpose: str) -> bytes:
    return _derived_key(current_app.config["NATIONAL_ID_KEY"], purpose)


@functools.lru_cache(maxsize=8)
def _derived_key(secret: str, purpose: str) -> bytes:
    """The key for ``purpose``, derived once per configured secret (a staff list masks one ID per row)."""
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


@functools.lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derived_key(secret, "encrypt")))


def lookup_hash(value: str | None) -> str:
    return hmac.new(_key_bytes("lookup"), normalize(value).encode(), hashlib.sha256).hexdigest()


def encrypt(value: str | None) -> str:
    return _fernet(current_app.config["NATIONAL_ID_KEY"]).encrypt(normalize(value).encode()).decode()


def decrypt(cipher: str | None) -> str:
    if not cipher:
        return ""
    try:
        return _fernet(current_app.config["NATIONAL_ID_KEY"]).decrypt(cipher.encode()).decode()
    except InvalidToken:
        return ""


def mask(value: str | None) -> str:
    """Show the region code and the last two characters only: 110105**********3X."""
    value = normalize(value)
    if len(value) < 8:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 8) + value[-2:]


def masked_from_cipher(cipher: str | None) -> str:
    return mask(decrypt(cipher)) if cipher else ""
