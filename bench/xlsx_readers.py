"""XLSX readers compared on what a roster import reads (the first sheet: text, numbers, date cells):
checkup/core/xlsx_reader.py (C expat, hand-written), python-calamine (Rust) shaped to xlsx_reader's
contract, and openpyxl in read-only mode (what capacity_import uses).

    .venv/bin/python bench/xlsx_readers.py --rows 10000 [--repeat 5]

Speed: the median of ``--repeat`` full reads of a ``--rows``-row, 9-column roster. Fidelity: the same
cells from every reader (dates as datetimes, empty cells as None), and the cells where they part:
error values, formulas never computed. Safety: a sheet declaring entities (billion laughs) must be
refused or read without expanding them; a 1 KiB sheet with one value in A1 and one in XFD1048576 (the
far corner) is read in a child process limited to ``--memory-limit`` MiB of address space, so a reader
that builds the whole rectangle fails there and not here.
python-calamine is imported only here (``pip install python-calamine``); the portal does not use it.
"""

import argparse
import datetime
import io
import resource
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook, load_workbook  # noqa: E402

from checkup.core import xlsx_reader  # noqa: E402

HEADER = ["employee_no", "name", "sex", "birth_date", "national_id", "phone", "email", "department", "category"]
WIDTH = len(HEADER)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
PACKAGE = "application/vnd.openxmlformats-package."
SHEETML = "application/vnd.openxmlformats-officedocument.spreadsheetml."


def roster_bytes(rows):
    book = Workbook(write_only=True)
    sheet = book.create_sheet("roster")
    sheet.append(HEADER)
    for n in range(rows):
        sheet.append(
            [
                f"E{n:06d}",
                f"员工{n}",
                "男" if n % 2 else "女",
                datetime.datetime(1980 + n % 30, 1 + n % 12, 1 + n % 28),
                f"11010519{80 + n % 20}0101{n % 1000:03d}X",
                f"139{n:08d}",
                f"e{n}@example.com",
                "财务部",
                "",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def handmade(sheet_data, doctype=""):
    """A minimal workbook around ``sheet_data`` (the inside of <sheetData>), as other tools write them."""
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{CONTENT_TYPES}"><Default Extension="rels" ContentType="{PACKAGE}'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{SHEETML}sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        f'ContentType="{SHEETML}worksheet+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{PACKAGE_REL}"><Relationship Id="rId1" '
        f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="s" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PACKAGE_REL}"><Relationship Id="rId1" '
        f'Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?>{doctype}'
        f'<worksheet xmlns="{MAIN}"><sheetData>{sheet_data}</sheetData></worksheet>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


# --- the readers, each giving [[cell, ...] * WIDTH] -------------------------------------------------------


def read_ours(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [cells for _, cells in xlsx_reader.rows(archive, WIDTH)]


def _as_ours(value):
    """A calamine value the way xlsx_reader types it: None for empty, datetime for a date, int if whole."""
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if type(value) is datetime.date:
        return datetime.datetime.combine(value, datetime.time(0))
    return value


def read_calamine(data):
    """What a calamine-based xlsx_reader.rows would give (rows empty across the sheet left out)."""
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_filelike(io.BytesIO(data)) as book:
        rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    return [[_as_ours(v) for v in (row + [""] * WIDTH)[:WIDTH]] for row in rows if any(v != "" for v in row)]


def read_openpyxl(data):
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return [
            list(row) + [None] * (WIDTH - len(row))
            for row in book.worksheets[0].iter_rows(max_col=WIDTH, values_only=True)
        ]
    finally:
        book.close()


READERS = {"xlsx_reader": read_ours, "python-calamine": read_calamine, "openpyxl read-only": read_openpyxl}


def as_seen(rows):
    """Rows as a roster import sees them: an empty text cell and an empty cell are both blank."""
    return [[None if value == "" else value for value in row] for row in rows]


def timed(fn, data, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(data)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def outcome(fn, data):
    try:
        return repr(fn(data)[:2])
    except Exception as exc:  # a refusal is an answer here
        return f"refused ({type(exc).__name__}: {str(exc)[:60]})"


# --- fidelity and safety cases ---------------------------------------------------------------------------

ENTITIES = (
    '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
)
CASES = {
    "error values (#N/A, #DIV/0!)": handmade(
        '<row r="1"><c r="A1" t="e"><v>#N/A</v></c><c r="B1" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
    ),
    "formulas never computed": handmade(
        '<row r="1"><c r="A1"><f>SUM(B1:B9)</f></c><c r="B1" t="str"><f>CONCAT(C1,D1)</f></c></row>'
    ),
    "entities declared, used in text": handmade(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&c;</t></is></c></row>', ENTITIES
    ),
    "entities declared, not used": handmade('<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>', ENTITIES),
}
FAR_CORNER = handmade('<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row>')


def probe(reader):
    """In the child: read the far-corner workbook from stdin and print how many rows came out."""
    started = time.perf_counter()
    rows = READERS[reader](sys.stdin.buffer.read())
    print(f"{len(rows)} rows in {(time.perf_counter() - started) * 1000:.0f} ms")


def far_corner(reader, limit_mib):
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (limit_mib << 20, limit_mib << 20))

    child = subprocess.run(
        [sys.executable, __file__, "--probe", reader],
        input=FAR_CORNER,
        capture_output=True,
        preexec_fn=limit,
        timeout=120,
    )
    if child.returncode == 0:
        return child.stdout.decode().strip()
    last = (child.stderr.decode(errors="replace").strip().splitlines() or ["?"])[0]
    return f"child died (exit {child.returncode}): {last[:90]}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--memory-limit", type=int, default=2048, help="MiB of address space for the far-corner child")
    parser.add_argument("--probe", choices=READERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        return probe(args.probe)

    data = roster_bytes(args.rows)
    print(f"workbook: {args.rows} rows x {WIDTH} columns, {len(data) / 1024:.0f} KiB")
    results = {name: fn(data) for name, fn in READERS.items()}
    for name, fn in READERS.items():
        same = as_seen(results[name]) == as_seen(results["xlsx_reader"])
        print(f"  {name:20} {timed(fn, data, args.repeat) * 1000:8.1f} ms   same cells as xlsx_reader: {same}")
    for case, workbook in CASES.items():
        print(f"{case}:")
        for name, fn in READERS.items():
            print(f"  {name:20} {outcome(fn, workbook)}")
    print(f"far corner (A1 and XFD1048576, {len(FAR_CORNER)} bytes), child limited to {args.memory_limit} MiB:")
    for name in READERS:
        print(f"  {name:20} {far_corner(name, args.memory_limit)}")


if __name__ == "__main__":
    main()
