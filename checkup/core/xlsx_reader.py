"""The first worksheet of an XLSX workbook as rows of values: streamed, quick, and closed to XML tricks.

openpyxl parses with defusedxml, which falls back to Python's pure-Python XML parser: about 25 µs a
cell, more than 2 s of CPU for a 10,000-row roster. This reader drives the C expat parser with plain
handlers (about 6 µs a cell) and reads only what an import needs: shared and inline strings, numbers,
booleans, and dates (numbers whose cell style is a date format, as openpyxl does). Every part it
parses refuses a document type declaration, so no entity can be declared, expanded or fetched (the
byte scan in ``upload_files`` refused such parts already; this is the second lock).

A formula cell gives the value the spreadsheet last computed, which is what the user saw; a formula
never computed gives its own text, "=…", as plain text. Nothing is ever evaluated here.

python-calamine reads 3× quicker but was kept out (bench/RESULTS.md, "XLSX reading"): it builds the
whole rectangle up to the farthest cell, so a 1 KiB sheet aborts the process, and it blanks error values.
"""

from __future__ import annotations

import datetime
import posixpath
import zipfile
from collections.abc import Callable, Iterator
from typing import Literal, NoReturn, overload
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

CHUNK = 1 << 16
# built-in number formats that show dates: the common ones and the East Asian ones (27-31, 36, 50-58)
DATE_FORMAT_IDS = (
    {i for i, code in BUILTIN_FORMATS.items() if is_date_format(code)} | set(range(27, 32)) | {36} | set(range(50, 59))
)
WORKSHEET = "/worksheet"
SHARED_STRINGS = "/sharedStrings"
STYLES = "/styles"
OFFICE_DOCUMENT = "/officeDocument"

# A cell as an import sees it: text, a number, a boolean, a date (a time of day, for a fraction below one), or empty.
CellValue = str | int | float | bool | datetime.datetime | datetime.time | None
Row = tuple[int, list[CellValue]]
StartHandler = Callable[[str, dict[str, str]], object]
EndHandler = Callable[[str], object]
TextHandler = Callable[[str], object]


class XlsxError(Exception):
    """The workbook cannot be read: a missing or malformed part, or a refused XML declaration."""


def _refuse(*_args: object) -> NoReturn:
    raise XlsxError("XML declarations (document types, entities) are not allowed")


@overload
def _parse(
    archive: zipfile.ZipFile,
    path: str,
    start: StartHandler | None = None,
    end: EndHandler | None = None,
    text: TextHandler | None = None,
    *,
    chunks: Literal[True],
) -> Iterator[None]: ...
@overload
def _parse(
    archive: zipfile.ZipFile,
    path: str,
    start: StartHandler | None = None,
    end: EndHandler | None = None,
    text: TextHandler | None = None,
    chunks: Literal[False] = False,
) -> None: ...
def _parse(
    archive: zipfile.ZipFile,
    path: str,
    start: StartHandler | None = None,
    end: EndHandler | None = None,
    text: TextHandler | None = None,
    chunks: bool = False,
) -> Iterator[None] | None:
    """Run expat over a part; with ``chunks`` a generator that yields after every chunk fed."""
    parser = expat.ParserCreate(namespace_separator="|")
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    if start:
        parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if text:
        parser.CharacterDataHandler = text

    def run() -> Iterator[None]:
        try:
            with archive.open(path) as part:
                while True:
                    data = part.read(CHUNK)
                    parser.Parse(data, not data)
                    yield
                    if not data:
                        return
        except KeyError:
            raise XlsxError(f"missing part {path}")
        except (expat.ExpatError, zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
            raise XlsxError(str(exc))

    if chunks:
        return run()
    for _ in run():
        pass
    return None


def _local(name: str) -> str:
    return name.rpartition("|")[2]


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str | None, tuple[str, str]]:
    """{relationship id: (type, target part path)} of a part."""
    folder, name = posixpath.split(part)
    found: dict[str | None, tuple[str, str]] = {}

    def start(tag: str, attrs: dict[str, str]) -> None:
        if _local(tag) == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            found[attrs.get("Id")] = (attrs.get("Type", ""), path)

    _parse(archive, posixpath.join(folder, "_rels", name + ".rels"), start=start)
    return found


def _workbook(archive: zipfile.ZipFile) -> tuple[str, list[str | None], bool]:
    """(workbook part, first worksheet's id, 1904 date system?)."""
    main = next(
        (path for kind, path in _relationships(archive, "").values() if kind.endswith(OFFICE_DOCUMENT)),
        "xl/workbook.xml",
    )
    sheets: list[str | None] = []
    flags: dict[str, bool] = {}

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "sheet":
            sheets.append(next((v for k, v in attrs.items() if _local(k) == "id" and "|" in k), None))
        elif local == "workbookPr":
            flags["date1904"] = attrs.get("date1904", "0").lower() in ("1", "true")

    _parse(archive, main, start=start)
    return main, sheets, flags.get("date1904", False)


def _shared_strings(archive: zipfile.ZipFile, path: str) -> list[str]:
    strings: list[str] = []
    parts: list[str] = []
    state = {"in_t": False, "phonetic": 0}

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "si":
            parts.clear()
        elif local == "rPh":
            state["phonetic"] += 1
        elif local == "t" and not state["phonetic"]:
            state["in_t"] = True

    def end(tag: str) -> None:
        local = _local(tag)
        if local == "si":
            strings.append("".join(parts))
        elif local == "rPh":
            state["phonetic"] -= 1
        elif local == "t":
            state["in_t"] = False

    def text(data: str) -> None:
        if state["in_t"]:
            parts.append(data)

    _parse(archive, path, start, end, text)
    return strings


def _date_styles(archive: zipfile.ZipFile, path: str) -> set[int]:
    """The set of cell style indexes whose number format shows a date."""
    custom: dict[str | None, str] = {}
    formats: list[str] = []
    state = {"in_xfs": False}

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "numFmt":
            custom[attrs.get("numFmtId")] = attrs.get("formatCode", "")
        elif local == "cellXfs":
            state["in_xfs"] = True
        elif local == "xf" and state["in_xfs"]:
            formats.append(attrs.get("numFmtId", "0"))

    def end(tag: str) -> None:
        if _local(tag) == "cellXfs":
            state["in_xfs"] = False

    _parse(archive, path, start, end)

    def shows_a_date(format_id: str) -> bool:
        if format_id in custom:
            return bool(is_date_format(custom[format_id]))
        return format_id.isdigit() and int(format_id) in DATE_FORMAT_IDS

    return {index for index, format_id in enumerate(formats) if shows_a_date(format_id)}


def _column(reference: str) -> int:
    """'AB12' -> 28."""
    number = 0
    for char in reference:
        if "A" <= char <= "Z":
            number = number * 26 + ord(char) - 64
        else:
            break
    return number


class _Sheet:
    """expat handlers collecting finished rows as (row number, [values of the first ``width`` columns])."""

    def __init__(self, strings: list[str], date_styles: set[int], epoch: datetime.datetime, width: int) -> None:
        self.strings, self.date_styles, self.epoch, self.width = strings, date_styles, epoch, width
        self.finished: list[Row] = []
        self.row_number, self.column = 0, 0
        self.cells: list[CellValue] | None = None
        self.kind, self.in_cell = "n", False
        self.style: str | None = None
        self.target: list[str] | None = None  # the text list the current element's characters go to
        self.value: list[str] = []
        self.formula: list[str] = []
        self.inline: list[str] = []
        self.has_formula = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "c":
            reference = attrs.get("r")
            self.column = _column(reference) if reference else self.column + 1
            self.kind, self.style = attrs.get("t", "n"), attrs.get("s")
            self.value, self.formula, self.inline, self.has_formula, self.in_cell = [], [], [], False, True
        elif local == "v" and self.in_cell:
            self.target = self.value
        elif local == "f" and self.in_cell:
            self.target, self.has_formula = self.formula, True
        elif local == "t" and self.in_cell:
            self.target = self.inline
        elif local == "rPh":
            self.in_cell = False  # phonetic guide text is not the cell's value
        elif local == "row":
            number = attrs.get("r")
            self.row_number = int(number) if number and number.isdigit() else self.row_number + 1
            self.cells, self.column = [None] * self.width, 0

    def end(self, tag: str) -> None:
        local = _local(tag)
        if local in ("v", "f", "t"):
            self.target = None
        elif local == "rPh":
            self.in_cell = True
        elif local == "c":
            self.in_cell = False
            if self.cells is not None and 1 <= self.column <= self.width:
                self.cells[self.column - 1] = self._value()
        elif local == "row" and self.cells is not None:
            self.finished.append((self.row_number, self.cells))
            self.cells = None

    def text(self, data: str) -> None:
        if self.target is not None:
            self.target.append(data)

    def _value(self) -> CellValue:
        value = "".join(self.value)
        if self.has_formula and not value and self.kind != "inlineStr":
            formula = "".join(self.formula)
            return "=" + formula if formula else None
        kind = self.kind
        if kind == "s":
            try:
                return self.strings[int(value)]
            except (ValueError, IndexError):
                raise XlsxError("bad shared string index")
        if kind == "inlineStr":
            return "".join(self.inline)
        if kind in ("str", "e", "d"):
            return value
        if kind == "b":
            return value in ("1", "true")
        if not value:
            return None
        try:
            number = float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            return value
        if self.style is not None and self.style.isdigit() and int(self.style) in self.date_styles:
            try:
                moment: datetime.datetime | datetime.time = from_excel(number, self.epoch)
                return moment
            except (ValueError, OverflowError, TypeError):
                return number
        return number


def rows(archive: zipfile.ZipFile, width: int) -> Iterator[Row]:
    """(row number, values) of the workbook's first worksheet, streamed; raises XlsxError."""
    main, sheet_ids, date1904 = _workbook(archive)
    related = _relationships(archive, main)
    sheet = next((related[i][1] for i in sheet_ids if i in related and related[i][0].endswith(WORKSHEET)), None)
    if sheet is None:
        raise XlsxError("no worksheet")
    strings_path = next((p for kind, p in related.values() if kind.endswith(SHARED_STRINGS)), None)
    styles_path = next((p for kind, p in related.values() if kind.endswith(STYLES)), None)
    strings = _shared_strings(archive, strings_path) if strings_path else []
    date_styles = _date_styles(archive, styles_path) if styles_path else set()
    handler = _Sheet(strings, date_styles, CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900, width)
    for _ in _parse(archive, sheet, handler.start, handler.end, handler.text, chunks=True):
        yield from handler.finished
        handler.finished.clear()
