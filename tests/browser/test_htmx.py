"""htmx swaps: parts of the page update in place, without a full page load."""
from playwright.sync_api import expect


def test_physician_active_search_updates_the_table_in_place(signed_in, base_url):
    page = signed_in("physician@demo.test")
    page.goto(base_url + "/exam/ranges")
    rows = page.locator("#range-rows tr")
    before = rows.count()
    assert before > 5
    page.evaluate("window.__marker = 1")

    search = page.get_by_role("searchbox", name="Search items by code or name")
    with page.expect_response(lambda r: "/exam/ranges?q=ALT" in r.url and r.request.headers.get("hx-request") == "true"):
        search.press_sequentially("ALT", delay=30)

    alt_row = rows.filter(has=page.locator("td", has_text="Alanine aminotransferase"))
    expect(alt_row).to_have_count(1)
    expect(alt_row.locator("td").nth(1)).to_have_text("ALT")
    expect(rows).not_to_have_count(before)
    assert page.evaluate("window.__marker") == 1, "the search reloaded the whole page"
    expect(page).to_have_url(base_url + "/exam/ranges?q=ALT")  # hx-push-url: the search can be bookmarked
