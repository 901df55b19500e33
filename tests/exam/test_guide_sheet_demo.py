"""The guide sheet of the demo center's packages: one page for a basic package, lab panels at the blood-draw
room before breakfast, labels for each tube the package needs."""

import io

from pypdf import PdfReader

from checkup.core.audit import Actor
from checkup.demo import demo
from checkup.models import Appointment, Package
from checkup.models.appointments import CHECKED_IN
from checkup.models.base import db
from checkup.reports.guide_sheet import GuideSheetRenderer
from checkup.services.exam import guide_sheets, specimens


def test_demo_packages_print_a_one_page_guide_sheet_and_a_label_per_tube(app):
    with app.app_context(), db.connection_context():
        demo.seed(history=False)
        checked_in = {
            a.package.code: a for a in Appointment.select().join(Package).where(Appointment.status == CHECKED_IN)
        }
        for code in ("BASIC-F", "BASIC-M"):
            appointment = checked_in[code]
            data = guide_sheets.guide_sheet_data(appointment.id, chinese=True)
            pdf = GuideSheetRenderer().build(data)
            reader = PdfReader(io.BytesIO(pdf))
            assert len(reader.pages) == 1, code
            text = reader.pages[0].extract_text()
            names = [s.get("name", "—") for s in data["stops"]]
            # fasting first (blood draw, abdominal ultrasound), breakfast, then the rest; urine after the scan
            assert names[:3] == ["采血室", "超声科", "—"], names
            assert names.index("超声科") < names.index("留样处")
            assert "血常规" in text and "肝功能" in text and "空腹" in text
            labels = specimens.label_data(appointment.id)["labels"]
            assert [label["container"] for label in labels] == ["SST", "EDTA", "FLU", "URINE"], code
            _code, pdf = specimens.print_labels(Actor(), appointment.id, chinese=True)
            assert len(PdfReader(io.BytesIO(pdf)).pages) == 4
