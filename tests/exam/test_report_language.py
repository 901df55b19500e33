"""The client's report in the client's language only: names, flags, standard wording and free text in
that language (free text in the other one marked, bilingual text cut to its own lines), the center from
the configuration, Chinese line breaking that keeps Latin words whole, and one email per amendment."""

import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from flask_babel import force_locale
from reportlab.lib.styles import ParagraphStyle

from checkup.core import clock
from checkup.demo import demo_report_texts
from checkup.demo.demo_report_texts import FINDINGS_ZH, GENERAL_ADVICE, OTHER_ADVICE
from checkup.models import AppointmentItem, Client, Department, ExamItem, Message, Report, Result, User
from checkup.models.base import db
from checkup.reports.base import BaseRenderer
from checkup.reports.fonts import MixedParagraph, MixedText, register_fonts, text_language
from checkup.services.exam import report_pdf, reports
from tests import factories
from tests.report_helpers import ReportWorld

# What a Chinese report may still spell in Latin letters: units, clinical codes and abbreviations that
# Chinese reports print as they are. Exam and verification codes are taken out before the check.
LATIN_ALLOWED = {
    "mmol/L",
    "U/L",
    "g/L",
    "L",
    "mm",
    "mmHg",
    "kg",
    "cm",
    "HbA1c",
    "TI-RADS",
    "BI-RADS",
    "NILM",
    "ASC-US",
    "HPV",
    "mol/L",  # µmol/L, pmol/L: the µ is no Latin letter
    "pmol/L",
    "mIU/L",
    "U/mL",
    "ng/mL",
    "mL/min/1",  # mL/min/1.73 m²
    "m",
    "kg/m",  # kg/m²
    "fL",
    "pg",
    "bpm",
    "HPF",  # /HPF, per high-power field
    "CV",  # RDW-CV
    "DR",  # digital radiography
    "A",  # follow-up levels, as the center's follow-up system names them (A 级)
    "B",
    "C",
}
# the summary and advice of the demo: one line in each language, as the demo writes them
BILINGUAL_SUMMARY = (
    "Blood glucose critically high, ALT mildly raised, mild fatty liver.\n血糖危急值，谷丙转氨酶轻度升高，轻度脂肪肝。"
)


def pdftotext(data, tmp_path):
    """The text poppler reads from a PDF (the way a client's PDF viewer and a screen reader see it)."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils")
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()


def latin_words(text, *codes):
    for code in codes:
        text = text.replace(code, " ")
    return {word.strip("-/") for word in re.findall(r"[A-Za-z][A-Za-z0-9/\-]*", text)} - LATIN_ALLOWED - {""}


class ChineseWorld(ReportWorld):
    """ReportWorld for a client reading Chinese, with the demo's Chinese wording, an HbA1c and an ECG."""

    def __init__(self):
        super().__init__(name="林晓", email="linxiao@example.com")
        User.update(locale="zh").where(User.id == self.client_user.id).execute()
        Department.update(name_zh="检验科").where(Department.id == self.lab.id).execute()
        ExamItem.update(name_zh="白细胞计数").where(ExamItem.id == self.wbc.id).execute()
        self.hba1c = factories.make_item(
            "HBA1C", self.glu.department, unit="%", name_en="Glycated haemoglobin HbA1c", name_zh="糖化血红蛋白HbA1c"
        )
        self.ecg = factories.make_item(
            "ECG", self.liver.department, result_type="text", name_en="Electrocardiogram", name_zh="心电图"
        )
        for item in (self.hba1c, self.ecg):
            AppointmentItem.create(appointment=self.appointment, item=item, price=Decimal("10"))

    def all_results(self):
        return [
            self.result(self.wbc, 6.2, low=3.5, high=9.5),
            self.result(self.glu, 25.1, flag="HH", low=3.9, high=6.1),
            self.result(self.alt, 52, flag="H", low=9, high=50),
            self.result(self.hba1c, 6.5, flag="H", low=4, high=6),
            # the demo's wording, entered in the client's language
            self.result(self.liver, value_text=demo_report_texts.in_language("Mild fatty liver.", "zh"), flag="A"),
            # the standard wording entered in English reads in Chinese
            self.result(self.ecg, value_text="No abnormality found."),
        ]


@pytest.fixture
def chinese(app):
    app.config.update(
        CENTER_NAME_ZH="上海莘庄健康体检中心",
        CENTER_ADDRESS_ZH="上海市闵行区莘松路 58 号",
        CENTER_PHONE="021-6412 3456",
    )
    return ChineseWorld()


@pytest.mark.both_dbs
def test_the_chinese_report_has_no_latin_word_but_units_codes_and_names(app, chinese, tmp_path):
    chinese.all_results()
    signed = reports.sign(
        chinese.actor(),
        chinese.appointment.id,
        BILINGUAL_SUMMARY,
        GENERAL_ADVICE + "\n\n" + OTHER_ADVICE,
        findings=[FINDINGS_ZH["Thyroid nodule, right lobe, 6 mm (TI-RADS 3)."]],
    )
    report = Report.get_by_id(signed.id)
    assert report.pdf_state == "ready"
    text = pdftotext(report_pdf.file_for(report).read_bytes(), tmp_path)

    assert latin_words(text, report.verification_code, chinese.appointment.exam_code) == set()
    for expected in (
        "上海莘庄健康体检中心",
        "上海市闵行区莘松路 58 号",
        "健康体检报告",
        "空腹血糖",
        "↑ 危急值",
        "↑ 偏高",
        "未见明显异常",  # "No abnormality found." as a Chinese report writes it
        "轻度脂肪肝",
        "血糖危急值，谷丙转氨酶轻度升高，轻度脂肪肝。",  # the summary's Chinese line only
        "保持均衡饮食和规律运动",
        "甲状腺右叶结节",
        "空腹血糖：25.1 mmol/L ↑ 危急值（参考范围 3.9–6.1）",  # the finding, composed in Chinese
    ):
        assert expected in text, expected
    for english in ("Checkup Portal", "No abnormality", "Alanine", "[H]", "[A]", "Blood glucose", "Keep a balanced"):
        assert english not in text, english


def test_the_english_report_keeps_to_english_and_marks_chinese_only_text(app, tmp_path):
    app.config.update(CENTER_NAME_EN="Xinzhuang Health Checkup Center", CENTER_ADDRESS_EN="58 Xinsong Road, Shanghai")
    world = ReportWorld(name="Lin Xiao", email="lin@example.com")
    world.result(world.wbc, 6.2, low=3.5, high=9.5)
    world.result(world.glu, 5.0, low=3.9, high=6.1)
    world.result(world.alt, 30, low=9, high=50)
    world.result(world.liver, value_text="轻度脂肪肝", flag="A")  # written in Chinese only
    signed = reports.sign(world.actor(), world.appointment.id, BILINGUAL_SUMMARY, "阴性")
    report = Report.get_by_id(signed.id)
    text = pdftotext(report_pdf.file_for(report).read_bytes(), tmp_path)
    assert "Xinzhuang Health Checkup Center" in text and "58 Xinsong Road, Shanghai" in text
    assert "Blood glucose critically high" in text and "血糖危急值" not in text  # the English line only
    assert "轻度脂肪肝 (original in Chinese)" in text  # shown as written, marked, not mixed in silently
    assert "Negative" in text  # standard wording entered in Chinese reads in English
    assert "Liver ultrasound: 轻度脂肪肝 (original in Chinese) Abnormal" in text
    assert "丙氨酸氨基转移酶" not in text and "Alanine aminotransferase" in text


def test_free_text_follows_its_recorded_language_and_the_standard_wording(app):
    with force_locale("en"):
        assert report_pdf.in_language("未见明显异常", "en") == "No abnormality found"
        assert report_pdf.in_language("No abnormality found.", "zh") == "未见明显异常"
        assert report_pdf.in_language("negative", "zh") == "阴性"
        assert report_pdf.in_language("1+", "zh") == "1+"  # no language: shown as it is
        assert report_pdf.in_language("Mild fatty liver.", "en") == "Mild fatty liver."
        assert report_pdf.in_language("Mild fatty liver.", "zh") == "Mild fatty liver. (original in English)"
        # the language recorded with the result wins over the script
        assert report_pdf.in_language("HbA1c 6.5%", "zh", written_in="en") == "HbA1c 6.5% (original in English)"
        assert report_pdf.in_language("Line one.\n第二行。\n—", "zh") == "第二行。\n—"
    assert (text_language("左乳结节（BI-RADS 3类）"), text_language("Negative"), text_language("3+")) == (
        "zh",
        "en",
        "",
    )


@pytest.mark.both_dbs
def test_a_result_recorded_as_english_is_marked_in_a_chinese_report(app, chinese):
    results = chinese.all_results()
    Result.update(value_text="Mild fatty liver.", language="en").where(Result.id == results[4].id).execute()
    with_findings = reports.sign(chinese.actor(), chinese.appointment.id, "总检结论。", "")
    rows = {row["code"]: row for row in reports.snapshot_rows(Report.get_by_id(with_findings.id))}
    assert rows["US-LIVER"]["language"] == "en" and rows["ECG"]["language"] == ""
    loaded = report_pdf._load(with_findings.id)
    with app.test_request_context(), force_locale("zh"):
        data = report_pdf.document_data(*loaded, chinese=True)
    shown = {row["name"]: row for department in data["departments"] for row in department["rows"]}
    assert shown["肝脏超声"]["value"].startswith("Mild fatty liver. ")  # as written, then the mark
    assert shown["心电图"]["value"] == "未见明显异常"
    assert shown["丙氨酸氨基转移酶"]["flag_label"] == "↑ 偏高"
    assert shown["空腹血糖"]["flag_label"] == "↑ 危急值"
    assert data["center"]["name"] == "上海莘庄健康体检中心"
    assert data["amendment"] is None


def test_chinese_lines_break_between_characters_but_never_inside_a_latin_word(app, tmp_path):
    """A paragraph mixing Chinese with 'HbA1c 6.5%' and '6.5 mmol/L', set in ever narrower columns: every
    line break falls between Chinese characters or at a space, never inside a word or between a number
    and its unit."""
    mixed = MixedText("Helvetica", register_fonts())
    style = ParagraphStyle("t", fontName="Helvetica", fontSize=9, leading=12, wordWrap="CJK")
    text = (
        "糖化血红蛋白HbA1c 6.5%，提示血糖控制欠佳；空腹血糖6.5 mmol/L，建议内分泌科就诊，"
        "复查HbA1c 6.5%及Alanine aminotransferase，必要时行口服葡萄糖耐量试验。"
    )
    whole = ["HbA1c", "6.5%", "6.5 mmol/L", "Alanine", "aminotransferase"]
    for width in (90, 110, 140, 200, 300):
        paragraph = MixedParagraph(mixed.markup(text), style)
        paragraph.wrap(width, 1000)
        lines = ["".join(frag.text for frag in line.words) for line in paragraph.blPara.lines]
        assert len(lines) > 1, width
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost or added
        for word in whole:
            assert text.count(word) == sum(line.count(word) for line in lines), (width, word, lines)
        for line in lines:
            assert line == line.strip()  # a break eats the space; no line starts or ends with one
            assert not line.startswith(("，", "；", "。", "%"))  # closing marks stay with what they close

    class Page(BaseRenderer):
        def document_title(self, data):
            return "t"

        def story(self, data):
            return [self.paragraph(text, "Narrow")]

        def _styles(self):
            return {"Narrow": dict(fontSize=9, leading=12)}

    Page.left_margin = Page.right_margin = 80 * 2.83465  # a column about 50 mm wide
    printed = pdftotext(Page().build({}), tmp_path)
    lines = [line for line in printed.splitlines() if line.strip()]
    assert len(lines) >= 4
    for word in ("HbA1c", "aminotransferase", "mmol/L"):
        assert printed.count(word) == text.count(word), (word, lines)  # pdftotext sees each one whole


@pytest.mark.both_dbs
def test_an_amendment_shows_its_date_and_client_note_only_and_sends_one_email(app, tmp_path, outbox):
    world = ReportWorld()
    world.all_results()
    first = reports.sign(world.actor(), world.appointment.id, "Glucose critical.", "Act now.")
    glu = Result.get(Result.item == world.glu.id)
    second = reports.amend(
        world.actor(),
        first.id,
        "Lab mix-up on analyser 2, sample of another client",  # internal
        "Glucose normal on re-test.",
        "",
        changes=[{"result_id": glu.id, "value": "5.2"}],
        client_note="Your blood glucose was measured again; the new value replaces the first one.",
    )
    report = Report.get_by_id(second.id)
    assert (report.status, report.amendment_note) == (
        "published",
        "Your blood glucose was measured again; the new value replaces the first one.",
    )
    text = pdftotext(report_pdf.file_for(report).read_bytes(), tmp_path)
    assert "Report amended" in text and clock.from_utc(report.signed_at).date().isoformat() in text
    assert "Your blood glucose was measured again" in text
    assert "mix-up" not in text and "analyser" not in text  # the staff's reason stays with the staff

    # one email per version: "ready" for the first, "amended" (only) for the amendment
    kinds = [m.kind for m in Message.select().where(Message.kind.startswith("report_")).order_by(Message.id)]
    assert kinds == ["report_ready", "report_amended"]
    subjects = [m["Subject"] for m in outbox() if "report" in m["Subject"]]
    assert subjects == ["Your checkup report is ready", "Your checkup report was amended"]
    # publishing the amended version again (a rerun of its PDF job) owes nothing more
    report_pdf.render_report_pdf(report.id)
    assert Message.select().where(Message.kind.startswith("report_")).count() == 2


def test_the_demo_has_chinese_wording_for_every_text_it_enters(app):
    from checkup.demo import demo, demo_history

    entered = {"No abnormality found."} | set(demo.TEXT_NORMAL.values())
    for normal, abnormal in demo_history.HISTORY_TEXT.values():
        entered |= {normal, *abnormal}
    entered |= {value[0] for value in demo.PAST_RESULTS.values() if isinstance(value, tuple)}
    missing = {text for text in entered if text_language(demo_report_texts.in_language(text, "zh")) != "zh"}
    assert missing == set()
    assert demo_report_texts.in_language("Sinus rhythm, normal ECG.", "en") == "Sinus rhythm, normal ECG."


def test_the_demo_reports_read_in_chinese_have_no_latin_word_but_units_codes_and_names(app, tmp_path):
    """The demo as a Chinese center runs it (clients read Chinese): the demo client's reports and an
    Acme employee's, as rendered by seed-demo, through pdftotext."""
    from checkup.demo import demo

    app.config["CLIENT_LOCALE"] = "zh"
    outcome = app.test_cli_runner().invoke(args=["seed-demo"])
    assert outcome.exit_code == 0, outcome.output
    with db.connection_context():
        client = Client.get(Client.email == demo.DEMO_CLIENT["email"])
        shown = reports.client_reports(client.id)
        employee = (
            Report.select()
            .where(Report.status == "published", Report.appointment.not_in([r.appointment_id for r in shown]))
            .order_by(Report.id)
            .first()
        )
        assert len(shown) == 2 and employee is not None
        for report in [*shown, employee]:
            report = Report.get_by_id(report.id)
            text = pdftotext(report_pdf.file_for(report).read_bytes(), tmp_path)
            code = report.appointment.exam_code
            assert "体检报告" in text and "总检结论" in text, report.id
            assert latin_words(text, report.verification_code, code) == set(), report.id
