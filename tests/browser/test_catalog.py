"""Admin catalog screens (built by the catalog work; this test runs once they exist).

Markup assumed for the inline edit on /admin/catalog/items:
- the items are rows of a table body (``tbody tr``);
- each row has a control named "Edit…" (a button, or a link enhanced with hx-get; its name may go
  on, e.g. "Edit BMI" with the code in visually hidden text) that swaps the row for an edit form in place;
- the form has an input named ``name_en`` (optionally with a form prefix, ``…-name_en``)
  for the English name, and a button named "Save…";
- saving swaps the row back showing the new name, with no full page load.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import axe_check

EDIT = re.compile(r"^Edit\b")
SAVE = re.compile(r"^Save\b")
NAME_EN = "main input[name='name_en'], main input[name$='-name_en']"
ITEMS_TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "catalog" / "items.html"


def test_admin_edits_catalog_item_inline(signed_in, base_url):
    if not ITEMS_TEMPLATE.exists():
        pytest.skip("the catalog screens are not built yet (templates/catalog/items.html is missing)")
    page = signed_in("admin@demo.test")
    page.goto(base_url + "/admin/catalog/items")
    rows = page.locator("main tbody tr")
    first = rows.first
    edit = first.get_by_role("button", name=EDIT).or_(first.get_by_role("link", name=EDIT))
    if edit.count() == 0:
        pytest.fail(
            "templates/catalog/items.html exists but its first row has no inline Edit control; "
            "the catalog markup changed, so adapt this test to it"
        )
    page.evaluate("window.__marker = 1")

    edit.click()
    name_input = page.locator(NAME_EN).first
    expect(name_input).to_be_visible()
    axe_check(page)  # the page with a row in edit mode
    original = name_input.input_value()
    new_name = f"{original} (edited in browser test)"[:100]
    name_input.fill(new_name)
    page.locator("main tbody").get_by_role("button", name=SAVE).click()

    expect(page.locator("main tbody")).to_contain_text(new_name)
    expect(page.locator(NAME_EN)).to_have_count(0)
    assert page.evaluate("window.__marker") == 1, "saving reloaded the whole page instead of swapping the row"

    page.reload()
    expect(page.locator("main tbody")).to_contain_text(new_name)

    # Put the name back so the shared demo catalog stays as seeded for other tests.
    row = page.locator("main tbody tr", has_text=new_name)
    row.get_by_role("button", name=EDIT).or_(row.get_by_role("link", name=EDIT)).click()
    name_input = page.locator(NAME_EN).first
    name_input.fill(original)
    page.locator("main tbody").get_by_role("button", name=SAVE).click()
    expect(page.locator("main tbody")).not_to_contain_text(re.compile(re.escape(new_name)))
