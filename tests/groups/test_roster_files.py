"""Roster files as files: size, real type, zip bombs, XML entity attacks, encodings, headers, plain-text cells."""

import io
import time
import zipfile

import pytest

from checkup.core import upload_files, xlsx_reader
from checkup.core.upload_files import UploadRefused
from checkup.models import AuditEvent, Client, RosterImport
from checkup.services.groups.roster import roster, roster_file
from checkup.services.groups.roster.roster_file import HEADERS_ZH, read_roster
from tests.roster_helpers import RosterWorld, as_rows, csv_bytes, employee, xlsx_bytes
from tests.upload_helpers import (
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    LAUGHING_SHEET,
    MAIN,
    rewritten,
    sheet_part,
    workbook_shell,
    zip_of,
)


def refused(filename, content):
    with pytest.raises(UploadRefused) as error:
        read_roster(filename, content)
    return str(error.value.message)


def test_csv_and_xlsx_give_the_same_rows(app):
    people = [employee(1), employee(2)]
    from_csv, from_xlsx = read_roster("r.csv", csv_bytes(people)), read_roster("r.XLSX", xlsx_bytes(people))
    assert (from_csv.kind, from_xlsx.kind) == ("csv", "xlsx")
    assert from_csv.rows == from_xlsx.rows
    assert from_csv.rows[1] == (
        3,
        [
            "E00002",
            people[1]["name"],
            "女",
            people[1]["birth date"],
            people[1]["national ID"],
            "13900000002",
            "e2@acme.example",
            "部门2",
            "",
        ],
    )


# --- size and type --------------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused(app):
    app.config["UPLOAD_MAX_BYTES"] = 1024
    content = csv_bytes([employee(n) for n in range(1, 30)])
    assert len(content) > 1024
    assert "larger than" in refused("r.csv", content)
    assert read_roster("r.csv", csv_bytes([employee(1)])).rows  # under the limit: fine


def test_flask_accepts_a_request_carrying_the_largest_allowed_file(app):
    assert app.config["MAX_CONTENT_LENGTH"] > app.config["UPLOAD_MAX_BYTES"] == 10 * 1024 * 1024


@pytest.mark.parametrize(
    "filename, content, says",
    [
        ("roster.xlsx", "employee number,name\nE1,王芳\n".encode(), "not an Excel workbook"),
        ("roster.csv", None, "packed file"),  # a real workbook renamed .csv
        ("roster.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00<<>>", "not a readable CSV"),
        ("roster.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a readable CSV"),
        ("roster.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Old Excel files"),
        ("roster.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Old Excel files"),
        ("roster.txt", b"employee number,name\n", "CSV or XLSX"),
        ("roster", b"employee number,name\n", "CSV or XLSX"),
        ("roster.xlsx", zip_of(readme__txt="hello"), "not a readable XLSX"),  # a zip, but not a workbook
        ("roster.xlsx", b"PK\x03\x04" + b"\x00" * 50, "not a readable XLSX"),  # a broken zip
        ("roster.csv", b"", "empty"),
    ],
)
def test_the_real_type_is_checked_by_content(app, filename, content, says):
    content = xlsx_bytes([employee(1)]) if content is None else content
    assert says in refused(filename, content)


# --- zip bombs and XML attacks ----------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_without_unpacking_it(app):
    bomb = workbook_shell(xl__worksheets__sheet1__xml=b"\x20" * (60 * 1024 * 1024))
    assert len(bomb) < 200 * 1024
    started = time.perf_counter()
    assert "too large once unpacked" in refused("bomb.xlsx", bomb)
    assert time.perf_counter() - started < 1


def test_a_part_packed_far_tighter_than_a_workbook_is_refused(app):
    dense = workbook_shell(xl__worksheets__sheet1__xml=b"0" * (5 * 1024 * 1024))  # 5 MB, ratio ~1000:1
    assert "too large once unpacked" in refused("dense.xlsx", dense)


def test_a_zip_of_thousands_of_entries_is_refused(app):
    many = workbook_shell(**{f"xl__media__image{n}__png": b"x" for n in range(400)})
    assert "not a readable XLSX" in refused("many.xlsx", many)


@pytest.mark.parametrize(
    "part, content",
    [
        ("xl/sharedStrings.xml", BILLION_LAUGHS),
        ("sheet", LAUGHING_SHEET),
        ("sheet", EXTERNAL_ENTITY),
        ("sheet", EXTERNAL_ENTITY.replace(b"DOCTYPE", b"doctype")),
        ("sheet", EXTERNAL_ENTITY.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")),
    ],
)
def test_xml_entity_attacks_are_refused(app, part, content):
    workbook = xlsx_bytes([employee(1)])
    attacked = rewritten(workbook, sheet_part(workbook) if part == "sheet" else part, content)
    assert "not allowed" in refused("attack.xlsx", attacked)


@pytest.mark.parametrize("content", [LAUGHING_SHEET, EXTERNAL_ENTITY])
def test_the_workbook_reader_refuses_declarations_on_its_own(app, content):
    assert b"<worksheet" in content
    workbook = xlsx_bytes([employee(1)])
    attacked = rewritten(workbook, sheet_part(workbook), content)
    with pytest.raises(UploadRefused):  # bypassing the byte scan: the reader's expat handlers refuse the DTD
        list(upload_files.xlsx_records(attacked, 10))
    with pytest.raises(xlsx_reader.XlsxError, match="not allowed"):
        list(xlsx_reader.rows(zipfile.ZipFile(io.BytesIO(attacked)), 10))


def test_nothing_is_stored_when_a_file_is_refused(app):
    world = RosterWorld()
    workbook = xlsx_bytes([employee(1)])
    for filename, content in (
        ("a.xlsx", rewritten(workbook, sheet_part(workbook), EXTERNAL_ENTITY)),
        ("b.csv", b"\x00\x01binary"),
        ("c.csv", "name\n王芳\n".encode()),
    ):
        with pytest.raises(UploadRefused):
            roster.upload(world.actor(), world.organization.id, world.contract.id, filename, content)
    assert RosterImport.select().count() == 0 and Client.select().count() == 0
    assert AuditEvent.select().where(AuditEvent.action.startswith("roster.")).count() == 0


# --- encodings -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_or_gb18030(app, encoding):
    people = [employee(1), employee(2)]
    parsed = read_roster("r.csv", csv_bytes(people, header=HEADERS_ZH, encoding=encoding))
    assert [r[1][1] for r in parsed.rows] == [p["name"] for p in people]
    assert parsed.columns == roster_file.FIELDS


@pytest.mark.parametrize(
    "content",
    [
        "employee number,name,sex,birth date\nE1,王芳,女,1985-06-01\n".encode("utf-16"),
        b"employee number,name,sex,birth date\nE1,\x1b[31mred,F,1985-06-01\n",
        b"employee number,name,sex,birth date\nE1,\xff\xff\xff\xff,F,1985-06-01\n",
    ],
)
def test_csv_that_is_not_utf8_or_gb18030_text_is_refused(app, content):
    assert "not a readable CSV" in refused("r.csv", content)


# --- headers, rows and cells ---------------------------------------------------------------------------------


def test_headers_in_chinese_with_hints_in_any_order_with_extra_columns(app):
    rows = [
        ["备注", "姓名", "*工号", "性别（男/女）", "出生日期（YYYY-MM-DD）", "手机号"],
        ["note", "王芳", "E1", "女", "1985-06-01", "13800138000"],
    ]
    parsed = read_roster("r.xlsx", xlsx_bytes(rows=rows))
    assert parsed.columns == ("employee_no", "name", "sex", "birth_date", "phone")
    assert parsed.rows == [(2, ["E1", "王芳", "女", "1985-06-01", "", "13800138000", "", "", ""])]


def test_a_missing_required_column_or_a_doubled_one_is_refused(app):
    assert "missing: sex, birth date" in refused("r.csv", "employee number,name,phone\nE1,王芳,1\n".encode())
    assert "appears twice" in refused("r.csv", "工号,姓名,性别,出生日期,姓名\nE1,a,女,1985-06-01,b\n".encode())


def test_row_numbers_are_those_of_the_file_blank_rows_skipped(app):
    text = "\r\n".join([",".join(as_rows([])[0]), "", ",,,", ",".join(as_rows([employee(1)])[1]), ""])
    assert [number for number, _ in read_roster("r.csv", text.encode()).rows] == [4]
    rows = as_rows([employee(1), employee(2)])
    rows.insert(2, [None] * 9)
    assert [number for number, _ in read_roster("r.xlsx", xlsx_bytes(rows=rows)).rows] == [2, 4]


def test_too_many_rows_is_refused(app, monkeypatch):
    monkeypatch.setattr(roster_file, "MAX_ROWS", 3)
    assert "more than 3 rows" in refused("r.csv", csv_bytes([employee(n) for n in range(1, 5)]))
    assert len(read_roster("r.csv", csv_bytes([employee(n) for n in range(1, 4)])).rows) == 3


def test_a_long_run_of_blank_rows_ends_the_data(app, monkeypatch):
    monkeypatch.setattr(roster_file, "BLANK_RUN_END", 5)
    rows = as_rows([employee(1)]) + [[None] * 9] * 6 + as_rows([employee(2)])[1:]
    assert [number for number, _ in read_roster("r.xlsx", xlsx_bytes(rows=rows)).rows] == [2]


@pytest.mark.parametrize(
    "content, says", [(b"\r\n\r\n", "The file is empty"), (b"employee number,name,sex,birth date\r\n", "no rows")]
)
def test_a_file_without_rows_is_refused(app, content, says):
    assert says in refused("r.csv", content)


def test_a_workbook_whose_stored_size_is_wrong_is_read_whole(app):
    workbook = xlsx_bytes([employee(1), employee(2), employee(3)])
    part = sheet_part(workbook)
    xml = zipfile.ZipFile(io.BytesIO(workbook)).read(part)
    lying = rewritten(workbook, part, xml.replace(b'<dimension ref="A1:I4" />', b'<dimension ref="A1" />'))
    assert b'<dimension ref="A1:I4" />' in xml
    assert len(read_roster("r.xlsx", lying).rows) == 3


def test_formula_looking_cells_are_kept_as_plain_text(app):
    world = RosterWorld()
    people = [employee(1, name="=1+2", department="@SUM(A1)"), employee(2, name="-2+3", department="+部门")]
    for filename, content in (("r.csv", csv_bytes(people)), ("r.xlsx", xlsx_bytes(people))):
        parsed = read_roster(filename, content)
        assert [(r[1][1], r[1][7]) for r in parsed.rows] == [("=1+2", "@SUM(A1)"), ("-2+3", "+部门")]
    result = roster.upload(world.actor(), world.organization.id, world.contract.id, "r.xlsx", xlsx_bytes(people))
    roster.request_commit(world.actor(), world.organization.id, world.contract.id, result.id)
    assert sorted((c.name, c.department) for c in Client.select()) == [("-2+3", "+部门"), ("=1+2", "@SUM(A1)")]


# --- the templates -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("chinese", [False, True])
def test_templates_hold_the_header_and_one_example_row_that_passes(app, chinese):
    world = RosterWorld(categories=["Office staff"])
    for filename, content in (
        ("t.csv", roster_file.template_csv("Office staff", chinese)),
        ("t.xlsx", roster_file.template_xlsx("Office staff", chinese)),
    ):
        parsed = read_roster(filename, content)
        assert parsed.columns == roster_file.FIELDS and len(parsed.rows) == 1
        result = roster.upload(world.actor(), world.organization.id, world.contract.id, filename, content)
        assert (result.valid_rows, result.error_rows) == (1, 0)


# --- the workbook reader, on workbooks written by hand as Excel and other tools write them -----------------

R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STYLES_XML = (
    f'<styleSheet xmlns="{MAIN.decode()}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy/mm/dd"/>'
    '</numFmts><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/>'
    '<xf numFmtId="31"/></cellXfs></styleSheet>'
)


def handmade(sheet_data, shared="", date1904=False, prefix=""):
    """A minimal workbook: package and workbook relationships (the sheet by an absolute target), shared
    strings, styles (1: built-in date 14, 2: custom yyyy/mm/dd, 3: Chinese built-in date 31)."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns{":" + prefix if prefix else ""}="{MAIN.decode()}"'
    return zip_of(
        **{
            "[Content_Types].xml": "<Types/>",
            "_rels__.rels": f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{R}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
            "xl__workbook.xml": f'<{p}workbook {xmlns} xmlns:r="{R}"><{p}workbookPr date1904="{int(date1904)}"/>'
            f'<{p}sheets><{p}sheet name="Roster" sheetId="1" r:id="rId7"/></{p}sheets></{p}workbook>',
            "xl___rels__workbook.xml.rels": (
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                f'<Relationship Id="rId7" Type="{R}/worksheet" Target="/xl/worksheets/data.xml"/>'
                f'<Relationship Id="rId8" Type="{R}/sharedStrings" Target="sharedStrings.xml"/>'
                f'<Relationship Id="rId9" Type="{R}/styles" Target="styles.xml"/></Relationships>'
            ),
            "xl__worksheets__data.xml": f"<{p}worksheet {xmlns}><{p}sheetData>{sheet_data}</{p}sheetData></{p}worksheet>",
            "xl__sharedStrings.xml": f'<sst xmlns="{MAIN.decode()}">{shared}</sst>',
            "xl__styles.xml": STYLES_XML,
        }
    )


def read(content, width=6):
    return list(upload_files.xlsx_records(content, width))


def test_reader_shared_rich_inline_strings_numbers_booleans_errors():
    shared = (
        "<si><t>employee number</t></si>"
        '<si><r><t>王</t></r><r><rPr><b/></rPr><t>芳</t></r><rPh sb="0" eb="1"><t>ワン</t></rPh></si>'
    )
    sheet = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>E 1</t></is></c><c r="B2"><v>42</v></c>'
        '<c r="C2"><v>1.5E3</v></c><c r="D2" t="b"><v>1</v></c><c r="E2" t="e"><v>#N/A</v></c>'
        '<c r="F2"><v>-7</v></c></row>'
    )
    assert read(handmade(sheet, shared)) == [
        (1, ["employee number", "王芳", None, None, None, None]),
        (2, ["E 1", 42, 1500.0, True, "#N/A", -7]),
    ]


def test_reader_formulas_give_their_last_value_or_their_text_never_a_result_of_ours():
    sheet = (
        '<row r="1"><c r="A1"><f>1+2</f><v>3</v></c><c r="B1" t="str"><f>A1&amp;"x"</f><v>3x</v></c>'
        '<c r="C1"><f>SUM(A1:A9)</f></c><c r="D1" t="inlineStr"><is><t>=1+2</t></is></c></row>'
    )
    assert read(handmade(sheet)) == [(1, [3, "3x", "=SUM(A1:A9)", "=1+2", None, None])]


def test_reader_dates_by_cell_style_and_the_1904_calendar():
    import datetime

    sheet = (
        '<row r="1"><c r="A1" s="1"><v>31199</v></c><c r="B1" s="2"><v>31199</v></c>'
        '<c r="C1" s="3"><v>31199</v></c><c r="D1" s="0"><v>31199</v></c><c r="E1"><v>31199</v></c></row>'
    )
    day = datetime.datetime(1985, 6, 1)
    assert read(handmade(sheet)) == [(1, [day, day, day, 31199, 31199, None])]
    assert read(handmade('<row r="1"><c r="A1" s="1"><v>29746</v></c></row>', date1904=True))[0][1][
        0
    ] == datetime.datetime(1904, 1, 1) + datetime.timedelta(days=29746)


def test_reader_positions_gaps_width_and_prefixed_names():
    sheet = (
        '<x:row><x:c t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c><x:c><x:v>2</x:v></x:c></x:row>'
        '<x:row r="5"><x:c r="C5"><x:v>3</x:v></x:c><x:c r="H5"><x:v>99</x:v></x:c></x:row>'
        '<x:row><x:c r="AA6"><x:v>1</x:v></x:c></x:row>'
    )
    assert read(handmade(sheet, prefix="x"), width=3) == [
        (1, ["a", 2, None]),
        (5, [None, None, 3]),
        (6, [None, None, None]),
    ]


@pytest.mark.parametrize(
    "broken",
    [
        lambda wb: rewritten(wb, "xl/worksheets/data.xml", b"<worksheet><sheetData><row>"),  # cut short
        lambda wb: rewritten(wb, "xl/sharedStrings.xml", b"<sst><si><t>only one</t></si></sst>"),  # index 5 missing
        lambda wb: zip_of(**{"[Content_Types].xml": "<Types/>", "xl__workbook.xml": "<workbook/>"}),  # no relationships
    ],
)
def test_reader_refuses_a_broken_workbook(app, broken):
    workbook = handmade('<row r="1"><c r="A1" t="s"><v>5</v></c></row>')
    with pytest.raises(UploadRefused):
        read(broken(workbook))


def test_rows_a_workbook_leaves_out_count_as_blank_rows(app, monkeypatch):
    monkeypatch.setattr(roster_file, "BLANK_RUN_END", 5)
    header = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in roster_file.HEADERS_EN[:4])
    person = (
        '<c t="inlineStr"><is><t>E{n}</t></is></c><c t="inlineStr"><is><t>王芳</t></is></c>'
        '<c t="inlineStr"><is><t>女</t></is></c><c s="1"><v>31199</v></c>'
    )
    sheet = (
        f'<row r="1">{header}</row><row r="2">{person.format(n=1)}</row>'
        f'<row r="5">{person.format(n=2)}</row><row r="12">{person.format(n=3)}</row>'
    )
    parsed = read_roster("r.xlsx", handmade(sheet))
    assert [(number, values[0], values[3]) for number, values in parsed.rows] == [
        (2, "E1", "1985-06-01"),
        (5, "E2", "1985-06-01"),
    ]  # rows 6-11 are six blank rows: the data ended
