import pytest

pytestmark = pytest.mark.both_dbs


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "oldest_queued_seconds": None, "dead_tasks": 0}


def test_favicon_is_served_and_cached(client):
    """Browsers ask for /favicon.ico whatever the page says (a PDF shown in a tab does): never a 404."""
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.data.startswith(b"<svg") and b"#0b4a63" in response.data
    assert response.headers["Cache-Control"] == "public, max-age=86400"


def test_each_role_lands_on_its_home(client, make_user, login):
    user = make_user("physician", email="doc@example.com")
    response = login(user)
    assert response.headers["Location"].endswith("/exam")
