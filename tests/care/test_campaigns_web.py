"""Campaign pages: list with counts (a fixed number of queries), compose with inline errors, the live audience
count fragment, send with confirmation, progress, and who may use them."""

import datetime
import re

import pytest

from checkup.core.audit import Actor
from checkup.models import AuditEvent, Campaign, Message
from checkup.models.care import HEALTH_TARGETING, MARKETING_EMAIL
from checkup.services.care import campaign_segments, campaigns
from tests import factories
from tests.campaign_helpers import consenting_client
from tests.factories import row_counts, sign_in_directly

pytestmark = pytest.mark.both_dbs

GOOD = {
    "name": "Autumn lecture",
    "kind": "lecture",
    "subject": "Join our talk on blood pressure",
    "body": "Saturday 10:00, ground floor.",
    "age_min": "40",
    "age_max": "70",
    "sex": "",
    "organization_id": "",
    "last_exam": "",
    "last_exam_date": "",
    "tags": "",
    "finding_item_id": "",
}
HTMX = {"HX-Request": "true"}


@pytest.fixture
def counselor(client, make_user):
    return sign_in_directly(client, make_user("counselor", name="Cora Counselor"))


def make_campaign(author, name="Newsletter", **segment):
    return campaigns.save_draft(
        Actor(author), {"name": name, "kind": "newsletter", "subject": f"{name} subject", "body": "Text"}, segment
    )


def test_the_list_shows_each_campaign_with_its_counts(client, counselor):
    consenting_client("Reader", email="reader@example.com")
    sent = campaigns.queue_send(Actor(counselor), make_campaign(counselor, "Summer").id)
    make_campaign(counselor, "Winter")
    response = client.get("/care/campaigns")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Summer" in html and "Winter" in html and "Cora Counselor" in html
    assert f'href="/care/campaigns/{sent.id}"' in html
    assert "Booked within 30 days" in html and '<th scope="col">' in html


def test_the_list_issues_a_fixed_number_of_queries(client, counselor, count_queries):
    consenting_client("Reader", email="reader@example.com")
    campaigns.queue_send(Actor(counselor), make_campaign(counselor, "First").id)
    with count_queries() as few:
        assert client.get("/care/campaigns").status_code == 200
    for n in range(4):
        consenting_client(f"More{n}", email=f"more{n}@example.com")
        campaigns.queue_send(Actor(counselor), make_campaign(counselor, f"C{n}").id)
    with count_queries() as many:
        assert client.get("/care/campaigns").status_code == 200
    assert Message.select().count() > 5
    assert many.count == few.count


def test_composing_a_campaign_saves_a_draft_and_audits_it(client, counselor):
    page = client.get("/care/campaigns/new").get_data(as_text=True)
    assert 'hx-trigger="change"' in page and 'hx-post="/care/campaigns/preview"' in page
    response = client.post("/care/campaigns/new", data=dict(GOOD, value_tiers=["vip", "important"], tags="annual"))
    assert response.status_code == 303
    campaign = Campaign.get()
    assert response.headers["Location"] == f"/care/campaigns/{campaign.id}"
    assert (campaign.name, campaign.kind, campaign.status, campaign.created_by_id) == (
        "Autumn lecture",
        "lecture",
        "draft",
        counselor.id,
    )
    segment = campaign_segments.load(campaign.segment_json)
    assert (segment["age_min"], segment["age_max"], segment["value_tiers"], segment["tags"]) == (
        40,
        70,
        ["vip", "important"],
        ["annual"],
    )
    assert AuditEvent.select().where(AuditEvent.action == "campaign.created").count() == 1
    detail = client.get(f"/care/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Autumn lecture" in detail and "40–70" in detail and "annual" in detail


def test_errors_are_shown_next_to_the_fields_and_nothing_is_saved(client, counselor):
    before = row_counts(Campaign, AuditEvent)
    response = client.post(
        "/care/campaigns/new",
        data=dict(GOOD, name="", age_min="70", age_max="40", organization_id="999999", last_exam="after"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="name-error"' in html and "This field is required." in html
    assert 'id="age_max-error"' in html and "The upper age must not be below the lower one." in html
    assert 'id="organization_id-error"' in html and 'id="last_exam_date-error"' in html
    assert 'aria-invalid="true"' in html
    assert row_counts(Campaign, AuditEvent) == before
    response = client.post("/care/campaigns/new", data=dict(GOOD, age_min="abc", last_exam_date="not-a-date"))
    assert response.status_code == 422 and 'id="age_min-error"' in response.get_data(as_text=True)
    assert row_counts(Campaign, AuditEvent) == before


def test_the_preview_fragment_counts_the_audience_live(client, counselor):
    item = factories.make_item("ALT")
    consenting_client("Forty", birth_date=datetime.date(1980, 1, 1))
    consenting_client("Young", birth_date=datetime.date(2010, 1, 1))
    consenting_client("NoConsent", purposes=())
    response = client.post("/care/campaigns/preview", data=GOOD, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert '<strong class="audience-count">1</strong>' in html and "F****" in html and "Forty" not in html
    html = client.post("/care/campaigns/preview", data=dict(GOOD, age_min="", age_max=""), headers=HTMX).get_data(
        as_text=True
    )
    assert '<strong class="audience-count">2</strong>' in html
    html = client.post("/care/campaigns/preview", data=dict(GOOD, finding_item_id=str(item.id)), headers=HTMX).get_data(
        as_text=True
    )
    assert '<strong class="audience-count">0</strong>' in html
    response = client.post("/care/campaigns/preview", data=dict(GOOD, age_min="90"), headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "The upper age must not be below the lower one." in html
    assert "audience-count" not in html
    assert Campaign.select().count() == 0  # a preview never saves
    page = client.post("/care/campaigns/preview", data=GOOD)  # without htmx: a page
    assert page.status_code == 200 and "<h1>" in page.get_data(as_text=True)


def test_the_form_pages_leave_the_audience_count_to_a_request_of_their_own(client, counselor, count_queries):
    """Counting a large audience takes a while: the form comes at once, the count is asked for once it loaded."""
    consenting_client("Forty", birth_date=datetime.date(1980, 1, 1))
    draft = make_campaign(counselor, "Lazy", age_min="40")
    for url in ("/care/campaigns/new", f"/care/campaigns/{draft.id}/edit"):
        with count_queries() as q:
            response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert not [sql for sql in q.queries if '"consent"' in sql]  # the audience was not counted
        assert "audience-count" not in html and "Counting the clients this segment reaches…" in html
        assert 'hx-trigger="load"' in html
        assert 'formaction="/care/campaigns/preview"' in html  # without JavaScript: a button asks for it
    fragment = client.post("/care/campaigns/preview", data=GOOD, headers=HTMX).get_data(as_text=True)
    assert '<strong class="audience-count">1</strong>' in fragment
    shown_again = client.post("/care/campaigns/new", data=dict(GOOD, name="", age_min="70", age_max="40"))
    html = shown_again.get_data(as_text=True)
    assert shown_again.status_code == 422 and 'hx-trigger="load"' not in html  # nothing to count: the errors show
    assert "Correct the segment to see how many clients it reaches:" in html


def test_a_draft_can_be_edited_and_a_sent_campaign_cannot(client, counselor):
    campaign = make_campaign(
        counselor,
        "Draft",
        sex="female",
        last_exam="before",
        last_exam_date="2024-01-01",
        tags="annual, vip",
        value_tiers=["vip"],
    )
    page = client.get(f"/care/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert 'value="Draft"' in page and '<option selected value="female">' in page
    assert 'value="2024-01-01"' in page and 'value="annual, vip"' in page
    assert re.search(r'<input type="checkbox" id="value_tiers-vip"[^>]* checked>', page)
    response = client.post(f"/care/campaigns/{campaign.id}/edit", data=dict(GOOD, name="Renamed"))
    assert response.status_code == 303
    assert Campaign.get_by_id(campaign.id).name == "Renamed"
    Campaign.update(status="sent").where(Campaign.id == campaign.id).execute()
    assert client.get(f"/care/campaigns/{campaign.id}/edit").status_code == 303
    assert client.post(f"/care/campaigns/{campaign.id}/edit", data=dict(GOOD, name="Again")).status_code == 303
    assert Campaign.get_by_id(campaign.id).name == "Renamed"


def test_sending_asks_for_confirmation_then_shows_progress_and_counts(client, counselor, outbox):
    consenting_client("Reader", email="reader@example.com", purposes=(MARKETING_EMAIL, HEALTH_TARGETING))
    consenting_client("Silent", email="silent@example.com", purposes=())
    campaign = make_campaign(counselor, "Autumn")
    confirm = client.get(f"/care/campaigns/{campaign.id}/send")
    assert confirm.status_code == 200 and "Send to 1 clients" in confirm.get_data(as_text=True)
    assert outbox() == []
    response = client.post(f"/care/campaigns/{campaign.id}/send")
    assert response.status_code == 303 and response.headers["Location"] == f"/care/campaigns/{campaign.id}"
    assert [m["To"] for m in outbox()] == ["reader@example.com"]
    detail = client.get(f"/care/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Progress and results" in detail and "1 of 1 messages sent" in detail
    assert client.post(f"/care/campaigns/{campaign.id}/send").status_code == 303  # already sent: nothing more
    assert len(outbox()) == 1


def test_sending_to_nobody_is_refused_inline(client, counselor):
    campaign = make_campaign(counselor, "Nobody", sex="male")
    response = client.post(f"/care/campaigns/{campaign.id}/send")
    assert response.status_code == 422 and "there is nobody to send it to" in response.get_data(as_text=True)
    assert Campaign.get_by_id(campaign.id).status == "draft"


def test_the_status_fragment_polls_while_sending(client, counselor):
    campaign = make_campaign(counselor, "Busy")
    Campaign.update(status="sending", target_count=10, sent_count=4).where(Campaign.id == campaign.id).execute()
    html = client.get(f"/care/campaigns/{campaign.id}/status", headers=HTMX).get_data(as_text=True)
    assert "<html" not in html and 'hx-trigger="every 2s"' in html and "4 of 10 messages sent" in html
    Campaign.update(status="sent").where(Campaign.id == campaign.id).execute()
    html = client.get(f"/care/campaigns/{campaign.id}/status", headers=HTMX).get_data(as_text=True)
    assert "every 2s" not in html
    assert client.get(f"/care/campaigns/{campaign.id}/status").status_code == 200  # a page without htmx


@pytest.mark.parametrize(
    "path",
    [
        "/care/campaigns/999999",
        "/care/campaigns/999999/edit",
        "/care/campaigns/999999/send",
        "/care/campaigns/999999/status",
        "/care/campaigns/99999999999999",
    ],
)
def test_a_missing_campaign_is_a_404(client, counselor, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("role", ["client", "hr", "scheduler", "physician"])
def test_other_roles_may_not_use_campaigns(client, make_user, role):
    campaign = make_campaign(make_user("counselor"))
    sign_in_directly(client, make_user(role))
    assert client.get("/care/campaigns").status_code == 403
    assert client.get(f"/care/campaigns/{campaign.id}").status_code == 403
    assert client.post(f"/care/campaigns/{campaign.id}/send").status_code == 403
    assert client.post("/care/campaigns/new", data=GOOD).status_code == 403
    assert Campaign.get_by_id(campaign.id).status == "draft" and Campaign.select().count() == 1


def test_an_admin_may_use_campaigns_and_the_navigation_shows_them_to_counselors(client, make_user, counselor):
    assert 'href="/care/campaigns"' in client.get("/care/campaigns").get_data(as_text=True)
    admin_http = client.application.test_client()
    sign_in_directly(admin_http, make_user("admin"))
    assert admin_http.get("/care/campaigns").status_code == 200
    assert admin_http.get("/care/campaigns/new").status_code == 200
