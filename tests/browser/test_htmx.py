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
    with page.expect_response(
        lambda r: "/exam/ranges?q=ALT" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        search.press_sequentially("ALT", delay=30)

    alt_row = rows.filter(has=page.locator("td", has_text="Alanine aminotransferase"))
    expect(alt_row).to_have_count(1)
    expect(alt_row.locator("td").nth(1)).to_have_text("ALT")
    expect(rows).not_to_have_count(before)
    assert page.evaluate("window.__marker") == 1, "the search reloaded the whole page"
    expect(page).to_have_url(base_url + "/exam/ranges?q=ALT")  # hx-push-url: the search can be bookmarked


def test_the_directorys_active_search_posts_and_keeps_the_number_out_of_the_address(signed_in, base_url):
    page = signed_in("scheduler@demo.test")
    page.goto(base_url + "/directory/clients")
    page.evaluate("window.__marker = 1")
    search = page.get_by_role("searchbox", name="Search by name, phone, email, employee number or full ID number")
    with page.expect_response(
        lambda r: (
            r.url == base_url + "/directory/clients"
            and r.request.method == "POST"
            and r.request.headers.get("hx-request") == "true"
            and "110105198805200026" in (r.request.post_data or "")
        )
    ):
        search.press_sequentially("110105198805200026", delay=20)  # the demo client's ID number, in full
    results = page.locator("#client-results")
    expect(results).to_contain_text("Looked up by ID number 110105**********")
    expect(results.locator("tbody tr")).to_have_count(1)
    assert "110105198805200026" not in results.inner_html()
    search.fill("")
    with page.expect_response(lambda r: r.request.method == "POST" and "13900139000" in (r.request.post_data or "")):
        search.press_sequentially("13900139000", delay=20)  # and by phone
    expect(results.locator("tbody tr")).to_have_count(1)
    assert page.evaluate("window.__marker") == 1, "the search reloaded the whole page"
    expect(page).to_have_url(base_url + "/directory/clients")  # nothing pushed: the term is in no address
