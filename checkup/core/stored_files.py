"""Files the portal keeps (report PDFs, group documents, data exports): written atomically, checked by
their sha256."""

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

STALE_TEMP_SECONDS = 10 * 60  # a temp file this old was left by a worker killed mid-write


def sha256_of(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_intact(path: Path | None, checksum: str | None) -> bool:
    """The file at ``path`` is there and its content still has the recorded ``checksum``."""
    return bool(checksum) and path is not None and path.is_file() and sha256_of(path) == checksum


def _remove_stale_temps(folder: Path, name: str) -> None:
    now = time.time()
    for leftover in folder.glob(f".{name}.*.tmp"):
        try:
            if now - leftover.stat().st_mtime > STALE_TEMP_SECONDS:
                leftover.unlink()
        except FileNotFoundError:
            pass


def write_file_atomically(target: str | os.PathLike[str], write: Callable[[BinaryIO], object]) -> None:
    """Call ``write(fh)`` on a temp file beside ``target``, fsync it and rename it into place, so a reader
    sees the old file or the whole new one; a failure leaves no temp file behind."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(target.parent, target.name)  # left by a worker killed mid-write
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise


def write_atomically(target: str | os.PathLike[str], data: bytes) -> str:
    """Write ``data`` to ``target`` atomically (see write_file_atomically); returns its sha256."""
    write_file_atomically(target, lambda fh: fh.write(data))
    return hashlib.sha256(data).hexdigest()
