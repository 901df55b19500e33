"""Admin catalog: only administrators get in, every page is a full page, and htmx gets fragments."""

import re

import pytest

from checkup.models import ExamItem
from tests import factories

GET_PAGES = [
    "/admin/catalog/items",
    "/admin/catalog/items/new",
    "/admin/catalog/items/{item}",
    "/admin/catalog/items/{item}/edit",
    "/admin/catalog/items/{item}/row/edit",
    "/admin/catalog/packages",
    "/admin/catalog/packages/new",
    "/admin/catalog/packages/{package}/edit",
    "/admin/catalog/resources",
    "/admin/catalog/resources/new",
    "/admin/catalog/resources/{resource}/edit",
]
POSTS = [
    "/admin/catalog/items/new",
    "/admin/catalog/items/{item}/edit",
    "/admin/catalog/items/{item}/delete",
    "/admin/catalog/items/{item}/row",
    "/admin/catalog/items/validate/code",
    "/admin/catalog/items/{item}/ranges",
    "/admin/catalog/packages/new",
    "/admin/catalog/packages/{package}/active",
    "/admin/catalog/resources/new",
]


@pytest.fixture
def catalog_rows(app):
    resource = factories.make_resource("CT")
    item = factories.make_item("GLU", resource=resource)
    package = factories.make_package("BASIC", items=[item])
    return {"item": item.id, "package": package.id, "resource": resource.id}


@pytest.mark.parametrize("role", ["client", "hr", "scheduler", "physician", "counselor"])
def test_other_roles_are_refused_everything(client, make_user, login, catalog_rows, role):
    login(make_user(role))
    for url in GET_PAGES:
        assert client.get(url.format(**catalog_rows)).status_code == 403, url
    for url in POSTS:
        assert client.post(url.format(**catalog_rows), data={"code": "X"}).status_code == 403, url
    assert ExamItem.select().count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(client, catalog_rows):
    response = client.get("/admin/catalog/items")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    htmx = client.post(f"/admin/catalog/items/{catalog_rows['item']}/delete", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and "HX-Redirect" in htmx.headers
    assert ExamItem.select().count() == 1


def test_every_page_works_as_a_full_page_and_names_its_inputs(client, make_user, login, catalog_rows):
    login(make_user("admin"))
    for url in GET_PAGES:
        response = client.get(url.format(**catalog_rows))
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and "<html" in page and 'aria-label="Catalog"' in page, url
        assert "<th>" not in page, url  # every header cell has a scope
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page):
            if 'type="hidden"' not in tag:
                input_id = re.search(r'\bid="([^"]+)"', tag).group(1)
                assert f'for="{input_id}"' in page, (url, tag)
    assert client.get("/admin/catalog").headers["Location"].endswith("/admin/catalog/items")


def test_list_fragments_for_htmx_and_pages_for_history_restore(client, make_user, login, catalog_rows):
    login(make_user("admin"))
    for url in ("/admin/catalog/items", "/admin/catalog/packages"):
        fragment = client.get(url, headers={"HX-Request": "true"})
        assert "<html" not in fragment.get_data(as_text=True) and "HX-Request" in fragment.headers["Vary"]
        restore = client.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
        assert "<html" in restore.get_data(as_text=True)
