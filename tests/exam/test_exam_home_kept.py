"""The exam home's floor links and scan box and its station list, and the unsearched reference-range table,
are printed once and shared (blueprints/exam/exam.py): each viewer still gets their own CSRF token in the scan
box, a language never gets another's markup, a new station count or a changed range is printed anew, and a
search is printed for its own request."""

import re

import pytest

from tests import factories

pytestmark = pytest.mark.both_dbs

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
SCAN_BOX = re.compile(r'<form id="scan-box".*?</form>', re.S)


@pytest.fixture
def stations(app):
    surgery = factories.make_department("SURG", name_en="Surgery <&>", name_zh="外科", sort_order=1)
    lab = factories.make_department("LAB", name_en="Laboratory", name_zh="检验科", sort_order=2)
    return surgery, lab


def test_each_viewer_gets_their_own_token_and_each_language_its_own_list(app, client, login, stations):
    factories.make_user("physician", email="one@example.com")
    factories.make_user("physician", email="two@example.com")
    other = app.test_client()
    login("one@example.com")
    login("two@example.com", http=other)
    tokens = []
    for http in (client, other, client):
        page = http.get("/exam").get_data(as_text=True)
        box = SCAN_BOX.search(page).group()
        assert set(TOKEN.findall(box)) == set(TOKEN.findall(page)) and len(set(TOKEN.findall(page))) == 1
        assert 'action="/exam/floor/scan"' in box and "Surgery &lt;&amp;&gt;" in page
        tokens.append(TOKEN.search(box).group(1))
    assert tokens[0] != tokens[1]
    chinese = client.get("/exam", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "外科" in chinese and "检验科" in chinese and "Surgery" not in chinese and "Laboratory" not in chinese
    english = client.get("/exam").get_data(as_text=True)
    assert "Surgery &lt;&amp;&gt;" in english and "外科" not in english


def test_a_new_reading_of_the_stations_is_printed_anew(app, client, login, stations, monkeypatch):
    from checkup.core import headline_figures

    app.config["FLOOR_LOADS_MAX_AGE_SECONDS"] = 5
    app.config["HEADLINE_REFRESH_AHEAD"] = False
    now = [1000.0]
    monkeypatch.setattr(headline_figures.time, "monotonic", lambda: now[0])
    login(factories.make_user("physician", email="doc@example.com"))
    assert 'href="/exam/stations/LAB"' in client.get("/exam").get_data(as_text=True)
    factories.make_department("ECG", name_en="Electrocardiography", sort_order=3)
    assert "Electrocardiography" not in client.get("/exam").get_data(as_text=True), "the reading is shared"
    now[0] += 10
    assert 'href="/exam/stations/ECG">Electrocardiography<' in client.get("/exam").get_data(as_text=True)


def test_the_range_table_is_printed_anew_when_a_range_changes_and_a_search_for_itself(app, client, login, stations):
    surgery, lab = stations
    glucose = factories.make_item("GLU", department=lab, name_en="Glucose", name_zh="血糖", unit="mmol/L")
    factories.make_item("WBC", department=lab, name_en="White cells", unit="10^9/L")
    bounds = factories.make_range(glucose, low="3.9", high="6.1")
    login(factories.make_user("physician", email="doc@example.com"))
    page = client.get("/exam/ranges").get_data(as_text=True)
    assert "3.9" in page and "–6.1" in page and "Glucose" in page and "No numeric range" in page
    assert "血糖" in client.get("/exam/ranges", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    bounds.high = bounds.high + 1
    bounds.save()
    page = client.get("/exam/ranges").get_data(as_text=True)
    assert "–7.1" in page and "–6.1" not in page and "Glucose" in page and "血糖" not in page
    search = client.get("/exam/ranges?q=WBC", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "White cells" in search and "Glucose" not in search
    assert "Glucose" in client.get("/exam/ranges").get_data(as_text=True)
