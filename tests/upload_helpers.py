"""Hostile spreadsheet uploads for the import tests: XML entity attacks, zip bombs, hand-built zips."""

import io
import zipfile

MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ENTITIES = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE ROOT [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
"""
BILLION_LAUGHS = ENTITIES.replace(b"ROOT", b"sst") + (
    b'<sst xmlns="' + MAIN + b'" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
)
LAUGHING_SHEET = ENTITIES.replace(b"ROOT", b"worksheet") + (
    b'<worksheet xmlns="' + MAIN + b'"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
)
EXTERNAL_ENTITY = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>"""


def rewritten(xlsx, part, content):
    """The workbook with one part replaced (or added)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != part:
                target.writestr(info.filename, source.read(info.filename))
        target.writestr(part, content)
    return out.getvalue()


def sheet_part(xlsx):
    return next(n for n in zipfile.ZipFile(io.BytesIO(xlsx)).namelist() if n.startswith("xl/worksheets/sheet"))


def zip_of(**parts):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name.replace("__", "/"), content)
    return out.getvalue()


def workbook_shell(**more):
    base = {"[Content_Types].xml": "<Types/>", "xl__workbook.xml": "<workbook/>"}
    return zip_of(**{k.replace("/", "__"): v for k, v in base.items()}, **more)
