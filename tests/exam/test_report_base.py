"""Every PDF the center prints stands on one base renderer: fonts, styles, page frame, "page X of Y", bytes out."""

import ast
import io
from pathlib import Path

from pypdf import PdfReader
from reportlab.platypus import Paragraph

from checkup.reports.base import BaseRenderer
from checkup.reports.billing_statement import BillingStatementRenderer
from checkup.reports.client_report import ClientReportRenderer
from checkup.reports.fonts import MixedText
from checkup.reports.group_summary import GroupSummaryRenderer
from checkup.reports.guide_sheet import GuideSheetRenderer
from checkup.reports.referral_letter import ReferralLetterRenderer
from checkup.reports.specimen_labels import SpecimenLabelRenderer
from tests.exam.test_exam_day_pdf import sheet_data

RENDERERS = (
    ClientReportRenderer,
    GuideSheetRenderer,
    SpecimenLabelRenderer,
    ReferralLetterRenderer,
    BillingStatementRenderer,
    GroupSummaryRenderer,
)
REPORTS = Path(__file__).resolve().parents[2] / "checkup" / "reports"


class LongNotice(BaseRenderer):
    def document_title(self, data):
        return "Notice"

    def story(self, data):
        return [
            Paragraph(self.text(f"Line {n}: 体检 & <b>not bold</b>"), self.styles["Normal"])
            for n in range(data["lines"])
        ]


def pdf_text(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_every_pdf_renderer_writes_only_its_story_on_the_shared_base():
    for renderer in RENDERERS:
        assert issubclass(renderer, BaseRenderer), renderer
        assert renderer.build is BaseRenderer.build, renderer  # fonts, page frame and numbering come from the base
        assert isinstance(renderer().mixed, MixedText), renderer


def test_a_document_on_the_base_numbers_its_pages_and_renders_the_same_bytes_twice(app):
    with app.app_context():
        pdf = LongNotice().build({"lines": 200})
        assert pdf == LongNotice().build({"lines": 200})
    pages, text = pdf_text(pdf)
    assert pages >= 3
    assert "Page 1 of " + str(pages) in text and f"Page {pages} of {pages}" in text
    assert "Line 199: 体检 & <b>not bold</b>" in text  # user text is escaped and Chinese is set in the CJK font


def test_the_guide_sheet_mixes_fonts_like_every_other_document(app):
    pdf = GuideSheetRenderer().build(
        sheet_data(
            stops=[{"number": 1, "code": "LAB", "name": "检验科", "fasting": True, "items": "血糖", "containers": ""}],
            prep_notes=["Fast ≥ 8 h"],
        )
    )
    _pages, text = pdf_text(pdf)
    for expected in ("检验科", "血糖", "Fast ≥ 8 h", "Page 1 of 1"):  # ≥ from the standard Symbol font
        assert expected in text, expected


def test_the_reports_package_takes_plain_data_and_never_reaches_for_models_web_or_the_request():
    for module in REPORTS.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert not name.startswith(
                    ("checkup.models", "checkup.web", "checkup.services", "checkup.blueprints")
                ), (module.name, name)
                assert name.split(".")[0] != "flask", (module.name, name)  # flask_babel's gettext only


def test_documents_built_at_once_in_threads_all_render(app):
    """gunicorn's threads print guide sheets and labels at the same moment; reportlab's TrueType subsetting
    reads the shared font file through one cursor, so two builds at once once failed with a KeyError."""
    import threading

    errors, pdfs = [], []

    def build(number):
        with app.app_context():
            for round_ in range(4):
                text = "".join(chr(0x4E00 + (number * 97 + round_ * 31 + k) % 20000) for k in range(300))
                try:
                    pdfs.append(LongNoticeCJK().build({"text": text}))
                except Exception as error:  # noqa: BLE001 (collected: the assertion shows what failed)
                    errors.append(repr(error))

    threads = [threading.Thread(target=build, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(pdfs) == 32 and all(pdf.startswith(b"%PDF") for pdf in pdfs)


class LongNoticeCJK(BaseRenderer):
    def document_title(self, data):
        return "Notice"

    def story(self, data):
        return [Paragraph(self.text(data["text"]), self.styles["Normal"])]
