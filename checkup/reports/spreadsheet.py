"""Writing XLSX exports safely: every text cell that a spreadsheet would run as a formula is neutralised."""

import io

from openpyxl import Workbook
from openpyxl.styles import Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A value fit for a cell: text starting like a formula gets a leading apostrophe; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if hasattr(value, "quantize"):  # Decimal: keep it numeric
        return float(value)
    if hasattr(value, "isoformat"):  # date / datetime
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def workbook_bytes(sheets):
    """``sheets``: [(title, header_row, rows)] → XLSX bytes; header bold, every cell through ``safe_cell``."""
    book = Workbook(write_only=False)
    book.remove(book.active)
    bold = Font(bold=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=str(title)[:31] or "Sheet")
        sheet.append([safe_cell(h) for h in header])
        for cell in sheet[1]:
            cell.font = bold
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
        for index, heading in enumerate(header, start=1):
            sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = max(
                10, len(str(heading)) + 4
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
