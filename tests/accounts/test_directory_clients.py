"""Client records: create, edit, view and search; the national ID is stored protected and shown masked."""

import datetime
import json
import re

import pytest

from checkup.core import national_id
from checkup.models import AuditEvent, Client
from tests.factories import make_client, make_client_with_id, make_organization, national_id_for, sign_in_directly

pytestmark = pytest.mark.both_dbs

BORN = datetime.date(1990, 2, 3)
NUMBER = national_id_for(BORN, "male", sequence=45)
GOOD = {
    "name": "张伟",
    "sex": "male",
    "birth_date": "1990-02-03",
    "national_id": NUMBER,
    "phone": "13800138000",
    "email": "Zhang.Wei@Example.com",
    "address": "北京市朝阳区建国路1号",
    "occupation": "Engineer",
    "notes": "Swimming",
    "organization": "",
    "employee_no": "E-1001",
    "department": "R&D",
    "value_tier": "important",
    "tags": "diabetes, annual，diabetes ,",
}


@pytest.fixture
def scheduler(client, make_user):
    return sign_in_directly(client, make_user("scheduler"))


def _all_audit_text():
    return " ".join(f"{e.action} {e.object_id} {e.detail}" for e in AuditEvent.select())


def _detail(event):
    return json.loads(event.detail) if event.detail else {}


def test_creating_a_client_stores_the_id_only_as_hash_and_ciphertext(client, scheduler):
    response = client.post("/directory/clients/new", data=GOOD)
    assert response.status_code == 303
    record = Client.get()
    assert response.headers["Location"] == f"/directory/clients/{record.id}"
    assert record.national_id_hash == national_id.lookup_hash(NUMBER)
    assert NUMBER not in record.national_id_cipher and national_id.decrypt(record.national_id_cipher) == NUMBER
    assert record.email == "zhang.wei@example.com" and record.tags == "diabetes, annual"
    assert record.birth_date == BORN and record.value_tier == "important" and record.organization_id is None
    event = AuditEvent.get(AuditEvent.action == "directory.client_created")
    assert event.user_id == scheduler.id and event.object_id == str(record.id)
    assert "national_id" in _detail(event)["fields"] and "name" in _detail(event)["fields"]
    assert NUMBER not in _all_audit_text()


def test_detail_page_shows_every_field_masks_the_id_and_audits_the_view(client, scheduler, make_user):
    org = make_organization("Acme Ltd")
    record = make_client_with_id(
        NUMBER,
        name="张伟",
        sex="male",
        birth_date=BORN,
        phone="13800138000",
        email="zw@example.com",
        address="建国路1号",
        occupation="Engineer",
        notes="Swimming",
        organization=org,
        employee_no="E-1001",
        department="R&D",
        value_tier="vip",
        tags="diabetes, annual",
    )
    make_user("client", client=record, email="zw.portal@example.com")
    response = client.get(f"/directory/clients/{record.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for shown in (
        "张伟",
        "1990-02-03",
        "13800138000",
        "zw@example.com",
        "建国路1号",
        "Engineer",
        "Swimming",
        "Acme Ltd",
        "E-1001",
        "R&amp;D",
        "VIP",
        "diabetes",
        "annual",
        "zw.portal@example.com",
        national_id.mask(NUMBER),
    ):
        assert shown in html, shown
    assert NUMBER not in html and NUMBER[6:14] not in html
    viewed = AuditEvent.get(AuditEvent.action == "directory.client_viewed")
    assert viewed.object_id == str(record.id) and viewed.user_id == scheduler.id


def test_detail_says_when_there_is_no_portal_account_and_no_id(client, scheduler):
    record = make_client(name="赵敏")
    html = client.get(f"/directory/clients/{record.id}").get_data(as_text=True)
    assert "No portal account" in html and "Not recorded" in html


def test_the_full_id_never_reaches_any_page_nor_the_audit_log(client, scheduler):
    client.post("/directory/clients/new", data=GOOD)
    record = Client.get()
    pages = [
        client.get(url, follow_redirects=True)
        for url in ("/directory/clients", f"/directory/clients/{record.id}", f"/directory/clients/{record.id}/edit")
    ]
    pages += [
        client.post("/directory/clients", data=data) for data in ({"q": NUMBER}, {"q": NUMBER.lower(), "org": "xyz"})
    ]
    pages.append(client.post("/directory/clients", data={"q": NUMBER}, headers={"HX-Request": "true"}))
    pages.append(client.post(f"/directory/clients/{record.id}/edit", data=dict(GOOD, national_id=NUMBER, name="")))
    pages.append(client.post("/directory/clients/new", data=dict(GOOD, sex="female")))
    for response in pages:
        html = response.get_data(as_text=True)
        assert NUMBER not in html and NUMBER.lower() not in html
    assert NUMBER not in _all_audit_text()
    assert pages[-1].status_code == 422


ID_CASES = [
    ("1234", "Enter all 18 characters"),
    (NUMBER[:17] + ("1" if NUMBER[17] != "1" else "2"), "does not match the rest of the number"),
    ("110105" + "19900230" + "451" + national_id.check_digit("11010519900230451"), "not a real date of birth"),
    (national_id_for(BORN, "female", sequence=45), "does not match the sex chosen"),
    (national_id_for(datetime.date(1990, 2, 4), "male", sequence=45), "does not match the date of birth"),
]


@pytest.mark.parametrize("number,message", ID_CASES)
def test_a_bad_id_number_is_refused_next_to_its_field(client, scheduler, number, message):
    response = client.post("/directory/clients/new", data=dict(GOOD, national_id=number))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and 'id="national_id-error"' in html
    assert Client.select().count() == 0 and number not in html


def test_a_second_client_with_the_same_id_is_refused_without_naming_the_first(client, scheduler):
    make_client_with_id(NUMBER, name="张伟", sex="male", birth_date=BORN)
    response = client.post("/directory/clients/new", data=dict(GOOD, name="Someone Else"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "already on file" in html
    assert "张伟" not in html and Client.select().count() == 1


def test_full_width_digits_are_the_same_number(client, scheduler):
    wide = NUMBER.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
    assert client.post("/directory/clients/new", data=dict(GOOD, national_id=wide)).status_code == 303
    assert Client.get().national_id_hash == national_id.lookup_hash(NUMBER)
    again = client.post("/directory/clients/new", data=dict(GOOD, name="Twin"))
    assert again.status_code == 422 and "already on file" in again.get_data(as_text=True)


FIELD_CASES = [
    ("name", "", "This field is required."),
    ("name", "x" * 101, "Use at most 100 characters."),
    ("sex", "other", "Not a valid choice"),
    ("birth_date", "2990-01-01", "Enter a real date of birth."),
    ("birth_date", "someday", "Not a valid date value."),
    ("email", "not-an-email", "Enter a valid email address."),
    ("phone", "call me", "Enter a phone number"),
    ("address", "x" * 301, "Use at most 300 characters."),
    ("occupation", "x" * 101, "Use at most 100 characters."),
    ("notes", "x" * 4001, "Use at most 4000 characters."),
    ("organization", "xyz", "Not a valid choice"),
    ("organization", "99999", "Not a valid choice"),
    ("employee_no", "x" * 51, "Use at most 50 characters."),
    ("department", "x" * 101, "Use at most 100 characters."),
    ("value_tier", "gold", "Not a valid choice"),
    ("tags", "x" * 301, "Use at most 300 characters."),
]


@pytest.mark.parametrize("field,value,message", FIELD_CASES)
def test_bad_input_is_refused_next_to_the_field_and_nothing_is_written(client, scheduler, field, value, message):
    response = client.post("/directory/clients/new", data=dict(GOOD, **{field: value}))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and f'id="{field}-error"' in html
    assert (
        Client.select().count() == 0
        and AuditEvent.select().where(AuditEvent.action == "directory.client_created").count() == 0
    )


def test_a_client_can_be_created_without_an_id_and_joined_to_an_organization(client, scheduler):
    org = make_organization("Acme Ltd")
    response = client.post("/directory/clients/new", data=dict(GOOD, national_id="", organization=str(org.id)))
    assert response.status_code == 303
    record = Client.get()
    assert record.national_id_hash is None and record.national_id_cipher is None and record.organization_id == org.id


def test_edit_page_never_echoes_the_recorded_number(client, scheduler):
    record = make_client_with_id(NUMBER, name="张伟", sex="male", birth_date=BORN)
    html = client.get(f"/directory/clients/{record.id}/edit").get_data(as_text=True)
    assert "Leave blank to keep the recorded number" in html and national_id.mask(NUMBER) in html
    [id_input] = re.findall(r'<input[^>]*name="national_id"[^>]*>', html)
    assert NUMBER not in html and 'value=""' in id_input
    assert "Remove the recorded ID number" in html


def _edit(client, record, **changes):
    data = dict(
        GOOD,
        national_id="",
        name=record.name,
        sex=record.sex,
        birth_date=record.birth_date.isoformat(),
        phone=record.phone,
        email=record.email,
        address=record.address,
        occupation=record.occupation,
        notes=record.notes,
        organization=str(record.organization_id or ""),
        employee_no=record.employee_no,
        department=record.department,
        value_tier=record.value_tier,
        tags=record.tags,
    )
    data.update(changes)
    return client.post(f"/directory/clients/{record.id}/edit", data=data)


def test_editing_without_typing_an_id_keeps_it_and_audits_changed_fields_only(client, scheduler):
    record = make_client_with_id(NUMBER, name="张伟", sex="male", birth_date=BORN, phone="13800138000")
    response = _edit(client, record, phone="13900139000", department="Sales")
    assert response.status_code == 303
    saved = Client.get_by_id(record.id)
    assert saved.phone == "13900139000" and saved.department == "Sales"
    assert saved.national_id_hash == record.national_id_hash and saved.national_id_cipher == record.national_id_cipher
    event = AuditEvent.get(AuditEvent.action == "directory.client_updated")
    assert _detail(event)["fields"] == ["department", "phone"]


def test_typing_a_new_id_replaces_the_recorded_one(client, scheduler):
    record = make_client_with_id(NUMBER, name="张伟", sex="male", birth_date=BORN)
    new_number = national_id_for(BORN, "male", sequence=77)
    assert _edit(client, record, national_id=new_number).status_code == 303
    saved = Client.get_by_id(record.id)
    assert saved.national_id_hash == national_id.lookup_hash(new_number)
    assert national_id.decrypt(saved.national_id_cipher) == new_number
    event = AuditEvent.get(AuditEvent.action == "directory.client_updated")
    assert _detail(event)["fields"] == ["national_id"] and new_number not in _all_audit_text()


def test_retyping_the_same_id_is_not_a_duplicate_of_itself(client, scheduler):
    record = make_client_with_id(NUMBER, name="张伟", sex="male", birth_date=BORN)
    assert _edit(client, record, national_id=NUMBER).status_code == 303
    assert _detail(AuditEvent.get(AuditEvent.action == "directory.client_updated"))["fields"] == []


def test_the_recorded_id_can_be_removed(client, scheduler):
    record = make_client_with_id(NUMBER, name="张伟", sex="male", birth_date=BORN)
    assert _edit(client, record, remove_national_id="y").status_code == 303
    saved = Client.get_by_id(record.id)
    assert saved.national_id_hash is None and saved.national_id_cipher is None
    assert _detail(AuditEvent.get(AuditEvent.action == "directory.client_updated"))["fields"] == ["national_id"]


def test_removing_and_typing_a_new_id_at_once_is_refused(client, scheduler):
    record = make_client_with_id(NUMBER, name="张伟", sex="male", birth_date=BORN)
    response = _edit(client, record, remove_national_id="y", national_id=national_id_for(BORN, "male", sequence=3))
    assert response.status_code == 422 and "not both" in response.get_data(as_text=True)
    assert Client.get_by_id(record.id).national_id_hash == record.national_id_hash


def test_sex_and_birth_date_must_still_agree_with_the_recorded_id(client, scheduler):
    record = make_client_with_id(NUMBER, name="张伟", sex="male", birth_date=BORN)
    response = _edit(client, record, sex="female", birth_date="1991-01-01")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="sex-error"' in html and 'id="birth_date-error"' in html
    assert "does not match the recorded ID number" in html
    assert Client.get_by_id(record.id).sex == "male"


def test_changing_to_another_clients_id_is_refused(client, scheduler):
    other = national_id_for(BORN, "male", sequence=9)
    make_client_with_id(other, name="Other", sex="male", birth_date=BORN)
    record = make_client_with_id(NUMBER, name="张伟", sex="male", birth_date=BORN)
    response = _edit(client, record, national_id=other)
    assert response.status_code == 422 and "already on file" in response.get_data(as_text=True)
    assert Client.get_by_id(record.id).national_id_hash == national_id.lookup_hash(NUMBER)


def test_editing_an_unknown_client_is_404(client, scheduler):
    assert client.get("/directory/clients/4242/edit").status_code == 404
    assert client.post("/directory/clients/4242/edit", data=GOOD).status_code == 404


def test_a_typed_id_sent_back_for_another_correction_asks_to_be_typed_again(client, scheduler):
    response = client.post("/directory/clients/new", data=dict(GOOD, name=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "please type it again" in html and NUMBER not in html


def test_control_characters_are_dropped_not_stored(client, scheduler):
    response = client.post("/directory/clients/new", data=dict(GOOD, name="张\x1b伟\x07", notes="line one\nline two"))
    assert response.status_code == 303
    saved = Client.get()
    assert saved.name == "张伟" and saved.notes == "line one\nline two"
