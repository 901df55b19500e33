"""One rule decides the language of what the center sends: the account's own choice, else for clients the
center's default for clients (CHECKUP_CLIENT_LOCALE, Chinese unless set), for staff the portal's default."""

import re

import pytest

from checkup import create_app
from checkup.core.audit import Actor
from checkup.models import User
from checkup.services.accounts import accounts
from checkup.services.booking import booking
from checkup.services.care import surveys
from tests import factories
from tests.conftest import base_config
from tests.report_helpers import ReportWorld
from tests.survey_helpers import published_report

pytestmark = pytest.mark.both_dbs

CJK = re.compile(r"[\u4e00-\u9fff]")
REGISTRATION = {
    "name": "王小明",
    "email": "xiaoming@example.com",
    "phone": "13800138000",
    "sex": "male",
    "birth_date": "1990-02-03",
    "password": "a-long-password",
    "confirm": "a-long-password",
}


def test_the_shipped_default_for_clients_is_chinese_and_an_unknown_language_is_refused(tmp_path):
    config = base_config(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'language.db'}")
    del config["CLIENT_LOCALE"]
    assert create_app(config).config["CLIENT_LOCALE"] == "zh"
    with pytest.raises(ValueError, match="CHECKUP_CLIENT_LOCALE"):
        create_app(dict(config, CLIENT_LOCALE="fr"))


def test_the_accounts_choice_wins_then_the_clients_default_and_staff_read_the_portals_default(app):
    app.config["CLIENT_LOCALE"] = "zh"
    chose_english = factories.make_user("client", locale="en")
    never_chose = factories.make_user("client", locale="")
    scheduler = factories.make_user("scheduler", locale="")
    assert accounts.language_of(chose_english) == "en"
    assert accounts.language_of(never_chose) == "zh"
    assert accounts.language_of(None) == "zh"  # a client without an account
    assert accounts.language_of(scheduler) == app.config["BABEL_DEFAULT_LOCALE"] == "en"
    assert accounts.language_of_client(never_chose.client_id) == "zh"
    assert accounts.language_of_client(factories.make_client(name="无账号").id) == "zh"


def test_every_area_writes_to_a_client_without_an_account_in_that_one_language(app, outbox):
    app.config["CLIENT_LOCALE"] = "zh"
    world = ReportWorld()
    walk_in = factories.make_client(name="赵敏", email="zhao@example.com")
    booking.book(Actor(), walk_in.id, world.center.slot.id, "FULL")  # the booking confirmation
    surveys.send_survey(published_report(world, client=walk_in).id)  # the satisfaction survey
    mails = [m for m in outbox() if m["To"] == "zhao@example.com"]
    assert len(mails) == 2
    for mail in mails:
        assert CJK.search(mail["Subject"]), mail["Subject"]
        body = mail.get_body(preferencelist=("plain",)).get_content()
        assert CJK.search(body) and "Dear" not in body and "checkup" not in mail["Subject"].lower()


def test_registration_keeps_the_language_the_page_was_shown_in(client):
    response = client.post("/register", data=REGISTRATION, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert response.status_code in (302, 303)
    assert User.get(User.email == "xiaoming@example.com").locale == "zh"


def test_registration_in_english_keeps_english(client):
    response = client.post(
        "/register", data=dict(REGISTRATION, email="en@example.com"), headers={"Accept-Language": "en-GB"}
    )
    assert response.status_code in (302, 303)
    assert User.get(User.email == "en@example.com").locale == "en"


def test_registration_with_no_language_at_all_follows_the_centers_default_for_clients(app, client):
    app.config["CLIENT_LOCALE"] = "zh"
    response = client.post("/register", data=dict(REGISTRATION, email="none@example.com"))  # no Accept-Language
    assert response.status_code in (302, 303)
    user = User.get(User.email == "none@example.com")
    assert user.locale == "" and accounts.language_of(user) == "zh"
