"""What the API takes and answers, declared once: the views validate with these models and the OpenAPI
document (openapi.py) is generated from them (pydantic emits JSON Schema 2020-12, OpenAPI 3.1's dialect)."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(max_length=200)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=20)]
Cursor = Annotated[str, StringConstraints(max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- query strings -----------------------------------------------------------------------------------


class PageQuery(Strict):
    cursor: Cursor | None = Field(None, description="The `next_cursor` of the previous page.")
    limit: int = Field(50, ge=1, le=200)


class DayPageQuery(PageQuery):
    day: datetime.date | None = Field(None, description="The day (YYYY-MM-DD); today by default.")


class ReportsQuery(PageQuery):
    signed_since: datetime.date | None = None


# --- bodies --------------------------------------------------------------------------------------------


class ResultIn(Strict):
    external_id: Annotated[str, StringConstraints(min_length=1, max_length=120)] = Field(
        description="The sender's id of this value: sending it again changes nothing."
    )
    item_code: Code | None = Field(None, description="The portal's item code; or give `loinc`.")
    loinc: Annotated[str, StringConstraints(min_length=3, max_length=12)] | None = None
    value: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    unit: Annotated[str, StringConstraints(max_length=30)] = ""
    reference_text: Annotated[str, StringConstraints(max_length=200)] = ""
    performed_at: datetime.datetime | None = None
    instrument_id: Annotated[str, StringConstraints(max_length=80)] = ""


class ResultsIn(Strict):
    exam_code: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    results: list[ResultIn] = Field(min_length=1, max_length=100)


class AppointmentIn(Strict):
    client_id: int = Field(ge=1, le=2**31 - 1)
    slot_id: int = Field(ge=1, le=2**31 - 1)
    package: Code
    addons: list[Code] = Field(default_factory=list, max_length=30)


class CancelIn(Strict):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=300)]


class ClientIn(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    sex: Literal["male", "female"]
    birth_date: datetime.date
    phone: Annotated[str, StringConstraints(max_length=30)] = ""
    email: Annotated[str, StringConstraints(max_length=254)] = ""
    national_id: Annotated[str, StringConstraints(max_length=18)] = ""


class ImagingReportForm(BaseModel):
    """multipart/form-data fields of an imaging or ECG report (``file`` is the optional attachment)."""

    exam_code: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    item_code: Code
    external_id: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    conclusion: Annotated[str, StringConstraints(min_length=1, max_length=4000)]
    abnormal: bool = False


# --- answers ------------------------------------------------------------------------------------------


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: dict[str, str] | None = None


class Patient(BaseModel):
    client_id: int
    name: str
    sex: str
    birth_date: datetime.date


class Specimen(BaseModel):
    container: str
    barcode: str


class OrderItem(BaseModel):
    code: str
    name: str
    name_zh: str
    loinc: str | None
    unit: str
    result_type: str
    department: str
    container: str | None
    barcode: str | None


class Order(BaseModel):
    appointment_id: int
    exam_code: str
    day: datetime.date
    status: str
    package: str | None
    patient: Patient
    specimens: list[Specimen]
    items: list[OrderItem]


class Worklist(BaseModel):
    data: list[Order]
    next_cursor: str | None


class ResultOutcome(BaseModel):
    external_id: str
    outcome: Literal["stored", "same", "conflict", "duplicate", "refused"]
    item_code: str | None
    result_id: int | None
    flag: str | None
    critical_alert_id: int | None
    conflict_id: int | None
    value: str | None = Field(None, description="The value as stored, in the catalog's unit (after conversion).")
    unit: str | None = Field(None, description="The catalog's unit of the item.")
    error: str | None


class ResultsReceived(BaseModel):
    appointment_id: int
    exam_code: str
    results: list[ResultOutcome]


class ImagingReceived(BaseModel):
    external_report_id: int
    appointment_id: int
    item_code: str
    result_id: int | None
    attachment_type: str | None
    attachment_sha256: str | None
    created: bool


class AppointmentOut(BaseModel):
    appointment_id: int
    exam_code: str
    client_id: int
    day: datetime.date
    start_time: str
    status: str
    source: str
    package: str | None
    total_price: str
    cancelled_at: str | None


class AppointmentList(BaseModel):
    data: list[AppointmentOut]
    next_cursor: str | None


class ClientOut(BaseModel):
    client_id: int
    name: str
    sex: str
    birth_date: datetime.date
    phone: str
    email: str
    has_national_id: bool
    created_at: str | None


class ClientList(BaseModel):
    data: list[ClientOut]
    next_cursor: str | None


class ReportOut(BaseModel):
    report_id: int
    version: int
    appointment_id: int
    exam_code: str
    client_id: int
    day: datetime.date
    status: str
    signed_at: str | None
    verification_code: str | None
    amended: bool
    pdf_checksum_sha256: str | None


class ReportList(BaseModel):
    data: list[ReportOut]
    next_cursor: str | None
