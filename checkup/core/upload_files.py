"""Reading an uploaded spreadsheet safely: size, real type by content, zip bombs, XML entities, encodings.

Nothing here writes to disk or to the database: the upload is checked and read from memory, so a
refused file leaves no trace. ``open_records`` gives the records of a CSV or of an XLSX workbook's
first sheet as ``(row number as the spreadsheet shows it, [cell values])``; a workbook may skip
empty rows, so numbers can jump.
"""

import csv
import io
import re
import zipfile
from collections.abc import Generator, Sequence

from flask_babel import lazy_gettext as _l

from checkup.core import xlsx_reader
from checkup.core.errors import ValidationError
from checkup.core.xlsx_reader import CellValue

CSV, XLSX = "csv", "xlsx"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls (and other Office 97 files)
XLSX_PARTS = ("[Content_Types].xml", "xl/workbook.xml")
MAX_ZIP_ENTRIES = 300  # a workbook has a few dozen parts; thousands is an attack or not a workbook
MAX_UNPACKED_BYTES = 30 * 1024 * 1024  # every part together, once unpacked (a 20,000-row roster: ~10 MB)
MAX_RATIO = 100  # a part bigger than RATIO_FLOOR may unpack to at most this many times its packed size
RATIO_FLOOR = 1024 * 1024
_DECLARATIONS = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # text files hold no such characters


# (row number, cells) from a CSV (text cells) or a workbook; a generator, to close when stopping early
Records = Generator[tuple[int, Sequence[CellValue]], None, None]


class UploadRefused(ValidationError):
    """The file as a whole cannot be used: empty, too large, not what it claims, unreadable, unsafe."""


def size_text(count: int) -> str:
    """10485760 -> '10 MB', 2048 -> '2 KB' (for messages)."""
    if count >= 1024 * 1024:
        return f"{round(count / (1024 * 1024), 1):g} MB"
    return f"{max(1, count // 1024)} KB"


def file_kind(filename: str | None, content: bytes, max_bytes: int) -> str:
    """CSV or XLSX, checked by the name and by the bytes themselves; UploadRefused otherwise."""
    name = (filename or "").strip().lower()
    if not content:
        raise UploadRefused(_l("The file is empty."))
    if len(content) > max_bytes:
        raise UploadRefused(
            _l("The file is larger than %(size)s. Split it into smaller files.", size=size_text(max_bytes))
        )
    if content.startswith(OLE_MAGIC) or name.endswith(".xls"):
        raise UploadRefused(_l("Old Excel files (.xls) cannot be read. Save it as .xlsx or CSV and upload again."))
    if name.endswith(".xlsx"):
        if not content.startswith(ZIP_MAGIC):
            raise UploadRefused(
                _l(
                    "This file is named .xlsx but is not an Excel workbook. Save it again from "
                    "Excel as .xlsx, or as CSV."
                )
            )
        check_workbook(content)
        return XLSX
    if name.endswith(".csv"):
        if content.startswith(ZIP_MAGIC):
            raise UploadRefused(
                _l(
                    "This file is named .csv but is a packed file (perhaps a workbook). Save it "
                    "as CSV, or upload it with its .xlsx name."
                )
            )
        return CSV
    raise UploadRefused(_l("Upload a CSV or XLSX file (a name ending in .csv or .xlsx)."))


def check_workbook(content: bytes) -> None:
    """Refuse a zip that is not a workbook, unpacks to far more than it weighs, or declares XML entities."""
    unreadable = _l("This file is not a readable XLSX workbook. Save it again from Excel as .xlsx, or as CSV.")
    too_big = _l("The workbook is too large once unpacked. Split it into smaller files.")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise UploadRefused(unreadable)
            names = {info.filename for info in entries}
            if any(part not in names for part in XLSX_PARTS):
                raise UploadRefused(unreadable)
            if any(info.flag_bits & 0x1 for info in entries):
                raise UploadRefused(
                    _l("The workbook is protected with a password. Remove the password and upload it again.")
                )
            if sum(info.file_size for info in entries) > MAX_UNPACKED_BYTES:
                raise UploadRefused(too_big)
            if any(
                info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1)
                for info in entries
            ):
                raise UploadRefused(too_big)
            for info in entries:
                if info.filename.endswith((".xml", ".rels")) and _declares_entities(archive, info):
                    raise UploadRefused(
                        _l(
                            "The workbook contains XML declarations that are not allowed "
                            "(document types or entities). Save it again from Excel."
                        )
                    )
    except UploadRefused:
        raise
    # zipfile raises NotImplementedError for a compression method it cannot read: an unreadable file
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise UploadRefused(unreadable)


def _declares_entities(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """True for a part with a DOCTYPE or ENTITY declaration, or in UTF-16 (where a byte scan is blind).

    Excel never writes either; refusing them here keeps entity expansion and external entities out,
    and xlsx_reader refuses any DOCTYPE as a second lock. The part's size was bounded above.
    """
    tail = b""
    with archive.open(info) as part:
        first = True
        while True:
            chunk = part.read(1 << 20)
            if not chunk:
                return False
            if first and chunk[:2] in (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<"):
                return True
            first = False
            if _DECLARATIONS.search(tail + chunk):
                return True
            tail = chunk[-16:]


def decode_text(content: bytes) -> str:
    """The text of a CSV: UTF-8 (with or without BOM) or GB18030, as Excel in a Chinese locale saves it."""
    unreadable = _l("This file is not a readable CSV file. Save it as CSV (UTF-8) or XLSX and try again.")
    if b"\x00" in content:
        raise UploadRefused(unreadable)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UploadRefused(unreadable)
    if _CONTROL.search(text):
        raise UploadRefused(unreadable)
    return text


def csv_records(text: str, max_columns: int) -> Generator[tuple[int, list[str]], None, None]:
    """(row number, [text cells]) of every record, blank ones included, so numbers match the file."""
    try:
        for number, record in enumerate(csv.reader(io.StringIO(text, newline="")), 1):
            yield number, record[:max_columns]
    except csv.Error:
        raise UploadRefused(_l("This file is not a readable CSV file. Save it as CSV (UTF-8) or XLSX and try again."))


def xlsx_records(content: bytes, max_columns: int) -> Generator[tuple[int, list[CellValue]], None, None]:
    """(row number, [cell values]) of the first worksheet, rows without any cell left out.

    Read by ``xlsx_reader`` (C expat, declarations refused). A formula gives the value last computed,
    or its own text if never computed; it is never run. The caller may stop early; the zip is closed.
    """
    unreadable = _l("This file is not a readable XLSX workbook. Save it again from Excel as .xlsx, or as CSV.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise UploadRefused(unreadable)
    try:
        yield from xlsx_reader.rows(archive, max_columns)
    except xlsx_reader.XlsxError:
        raise UploadRefused(unreadable)
    finally:
        archive.close()


def open_records(filename: str | None, content: bytes, max_bytes: int, max_columns: int) -> tuple[str, Records]:
    """(CSV or XLSX, its records): a generator to close when stopping early. UploadRefused for a bad file."""
    kind = file_kind(filename, content, max_bytes)
    if kind == XLSX:
        return kind, xlsx_records(content, max_columns)
    return kind, csv_records(decode_text(content), max_columns)
