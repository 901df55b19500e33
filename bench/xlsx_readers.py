"""XLSX readers compared: checkup/core/xlsx_reader.py (expat, hand-written) against python-calamine
(Rust), on what a roster or capacity import reads: the first sheet of a workbook, text, numbers and
date cells.

    .venv/bin/python bench/xlsx_readers.py --rows 10000 [--repeat 5]

Speed: the median of ``--repeat`` full reads of a ``--rows``-row, 9-column roster. Safety and
fidelity: the same workbook read by both must give the same cells (dates as dates), and a workbook
whose sheet declares an entity (billion laughs) must be refused or read without expanding it.
python-calamine is imported only here; install it with ``pip install python-calamine``.
"""
import argparse
import datetime
import io
import statistics
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook  # noqa: E402

from checkup.core import xlsx_reader  # noqa: E402

HEADER = ["employee_no", "name", "sex", "birth_date", "national_id", "phone", "email", "department", "category"]


def roster_bytes(rows):
    book = Workbook(write_only=True)
    sheet = book.create_sheet("roster")
    sheet.append(HEADER)
    for n in range(rows):
        sheet.append([f"E{n:06d}", f"员工{n}", "男" if n % 2 else "女", datetime.datetime(1980 + n % 30, 1 + n % 12, 1 + n % 28),
                      f"11010519{80 + n % 20}0101{n % 1000:03d}X", f"139{n:08d}", f"e{n}@example.com", "财务部", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_ours(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [cells for _, cells in xlsx_reader.rows(archive, len(HEADER))]


def read_calamine(data):
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return book.get_sheet_by_index(0).to_python(skip_empty_area=False)


def timed(fn, data, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(data)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def with_entity(data):
    """The same workbook with an entity declared and used in its first sheet (the billion-laughs shape)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                decl = (b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>')
                body = body.replace(b"?>", b"?>" + decl, 1).replace(b"<v>", b"<v>&c;", 1)
            target.writestr(item, body)
    return out.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = roster_bytes(args.rows)
    ours, theirs = read_ours(data), read_calamine(data)
    same = [list(r) for r in ours] == [list(r)[:len(HEADER)] for r in theirs[:len(ours)]]
    print(f"workbook: {args.rows} rows x {len(HEADER)} columns, {len(data) / 1024:.0f} KiB")
    print(f"xlsx_reader (expat):   {timed(read_ours, data, args.repeat) * 1000:8.1f} ms")
    print(f"python-calamine:       {timed(read_calamine, data, args.repeat) * 1000:8.1f} ms")
    print(f"same cells: {same}" + ("" if same else f"  (first row ours {ours[1]!r}, calamine {theirs[1]!r})"))
    hostile = with_entity(data)
    for name, fn in (("xlsx_reader", read_ours), ("python-calamine", read_calamine)):
        try:
            result = fn(hostile)
            expanded = any("aaaaaaaaaa" in str(cell) for row in result[:3] for cell in row)
            print(f"{name}: entity workbook read, entity {'EXPANDED' if expanded else 'not expanded'}")
        except Exception as exc:  # the refusal is the answer we want
            print(f"{name}: entity workbook refused ({type(exc).__name__}: {str(exc)[:80]})")


if __name__ == "__main__":
    main()
