"""The admin's integrations pages: the token shown once, rotation and revocation, webhooks."""

import pytest

from checkup.models.integrations import IntegrationClient, WebhookEndpoint
from tests import factories

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def admin(app, client, login):
    login(factories.make_user("admin", email="admin@example.com"))
    return client


def test_registering_shows_the_token_once_and_keeps_only_its_hash(app, admin):
    page = admin.post("/admin/integrations", data={"name": "LIS", "scopes": ["orders:read", "results:write"]})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    token = text.split('<code id="secret-value">')[1].split("</code>")[0]
    assert token.startswith("ck_")
    system = IntegrationClient.get(IntegrationClient.name == "LIS")
    assert system.scopes == "orders:read results:write" and token not in system.secret_hash
    assert token not in admin.get(f"/admin/integrations/{system.id}").get_data(as_text=True)
    assert admin.get("/api/v1/worklist", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_bad_registration_says_why_and_changes_nothing(app, admin):
    page = admin.post("/admin/integrations", data={"name": "", "scopes": []})
    assert page.status_code == 422 and IntegrationClient.select().count() == 0
    assert "field-error" in page.get_data(as_text=True)


def test_rotate_and_revoke_from_the_page(app, admin):
    admin.post("/admin/integrations", data={"name": "HIS", "scopes": ["appointments:read"]})
    system = IntegrationClient.get(IntegrationClient.name == "HIS")
    rotated = admin.post(f"/admin/integrations/{system.id}/rotate")
    assert rotated.status_code == 200 and "ck_" in rotated.get_data(as_text=True)
    assert IntegrationClient.get_by_id(system.id).rotated_at is not None
    assert admin.post(f"/admin/integrations/{system.id}/revoke").status_code == 303
    assert IntegrationClient.get_by_id(system.id).revoked_at is not None


def test_a_webhook_is_added_with_its_secret_shown_once_and_a_bad_url_refused(app, admin):
    admin.post("/admin/integrations", data={"name": "PACS", "scopes": ["reports:read"]})
    system = IntegrationClient.get(IntegrationClient.name == "PACS")
    bad = admin.post(f"/admin/integrations/{system.id}/webhooks", data={"url": "ftp://x", "events": ["report.signed"]})
    assert bad.status_code == 422 and WebhookEndpoint.select().count() == 0
    good = admin.post(
        f"/admin/integrations/{system.id}/webhooks",
        data={"url": "https://pacs.example/hook", "events": ["report.signed"]},
    )
    assert good.status_code == 200 and "whsec_" in good.get_data(as_text=True)
    endpoint = WebhookEndpoint.get()
    assert endpoint.events == "report.signed"
    removed = admin.post(f"/admin/integrations/{system.id}/webhooks/{endpoint.id}/remove")
    assert removed.status_code == 303 and not WebhookEndpoint.get_by_id(endpoint.id).active
