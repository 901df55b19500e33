"""Every client and HR page on a 375 px phone: nothing scrolls sideways, chart labels are readable.

The walk is test_crawl's (same frontier: same-origin links from the role's home and /account, at most
two concrete paths per pattern), measuring each page instead: the document may not be wider than the
window, nor may a box inside it (a table's frame) scroll sideways, and every chart label (the text of the
server-drawn SVG charts, Chart.js axes and legends) must be drawn at 12 px or more. The first page of each
pattern also passes axe at this width (the phone layouts of the tables have their own CSS). Downloads are
test_crawl's business.

Run with ``-s`` to see each page's width and smallest chart label.
"""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.helpers import ROLES, axe_check
from tests.browser.test_crawl import Crawl, pattern_of

PHONE = {"width": 375, "height": 740}
SMALLEST_LABEL_PX = 12
PHONE_ROLES = [email for email, (role, _home, _links) in ROLES.items() if role in ("client", "hr")]
# The fewest pages each walk must measure: below today's counts, far above "the walk went nowhere".
MINIMUM_PAGES = {"client@demo.test": 15, "hr@acme.demo.test": 10}

# [document width, window width, widest sideways overflow of a scrolling box inside the page,
#  smallest chart label in CSS px (null: no chart on the page), which chart it is in].
MEASURE = """() => {
  const labels = [];
  for (const text of document.querySelectorAll('svg text')) {
    const box = text.getBoundingClientRect();
    if (!box.width || !text.getScreenCTM()) continue;
    // The rendered size: the font size in the SVG's units times the SVG's scale on screen.
    const scale = Math.hypot(text.getScreenCTM().a, text.getScreenCTM().b);
    labels.push([parseFloat(getComputedStyle(text).fontSize) * scale, text.closest('svg').id || 'svg']);
  }
  if (typeof Chart !== 'undefined') {
    for (const canvas of document.querySelectorAll('canvas')) {
      const chart = Chart.getChart(canvas);
      if (!chart) continue;
      for (const scale of Object.values(chart.scales)) {
        if (scale.options.display === false || scale.options.ticks.display === false) continue;
        labels.push([Chart.helpers.toFont(scale.options.ticks.font).size, canvas.dataset.chart + ' ' + scale.id]);
      }
      if (chart.legend && chart.legend.options.display) {
        labels.push([Chart.helpers.toFont(chart.legend.options.labels.font).size, canvas.dataset.chart + ' legend']);
      }
    }
  }
  labels.sort((a, b) => a[0] - b[0]);
  // A table in a box that scrolls sideways runs off the screen just the same: count the widest one.
  let inner = 0;
  for (const el of document.querySelectorAll('main *')) {
    const overflow = getComputedStyle(el).overflowX;
    if ((overflow === 'auto' || overflow === 'scroll') && el.scrollWidth > el.clientWidth + 1) {
      inner = Math.max(inner, el.scrollWidth - el.clientWidth);
    }
  }
  return [document.documentElement.scrollWidth, window.innerWidth, inner,
          labels.length ? labels[0][0] : null, labels.length ? labels[0][1] : null];
}"""

# What runs off the screen (the first few): elements past the window's right edge, and boxes that
# scroll sideways inside the page, to say what to fix.
OVERFLOWING = """() => {
  const right = window.innerWidth, out = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                       (el.classList.length ? '.' + [...el.classList].join('.') : '');
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.right > right + 0.5 && box.width > 0) out.push(name(el) + ' (right edge at ' + Math.round(box.right) + ')');
    const overflow = getComputedStyle(el).overflowX;
    if ((overflow === 'auto' || overflow === 'scroll') && el.scrollWidth > el.clientWidth + 1) {
      out.push(name(el) + ' (scrolls ' + (el.scrollWidth - el.clientWidth) + ' px sideways)');
    }
  }
  return out.slice(0, 6);
}"""


class PhoneWalk(Crawl):
    """test_crawl's walk, measuring each HTML page at phone width."""

    def __init__(self, page, base_url, **kwargs):
        super().__init__(page, base_url, **kwargs)
        self.measured = {}  # target -> (scrollWidth, innerWidth, px hidden in a scrolling box, smallest label px)
        self.audited = set()  # patterns whose first page went through axe

    def visit(self, target):
        page = self.page
        try:
            response = page.goto(self.origin + target, wait_until="load")
        except PlaywrightError:  # an attachment ("Download is starting"): not a page
            return
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            return
        self.visited.append(target)
        if response.status >= 400:
            self.problems.append(f"{target}: HTTP {response.status}")
        if urlsplit(page.url).path == "/login":
            self.problems.append(f"{target}: sent back to the sign-in page")
        try:  # htmx "load" triggers and Chart.js drawing happen around the load event: let them land
            page.wait_for_function("() => !document.querySelector('.htmx-request')", timeout=5000)
        except PlaywrightError:
            self.problems.append(f"{target}: an htmx request was still running after 5 s")
        document_width, window_width, hidden, label_px, label_of = page.evaluate(MEASURE)
        self.measured[target] = (document_width, window_width, hidden, label_px)
        if document_width > window_width or hidden:
            self.problems.append(
                f"{target}: scrolls sideways at {window_width} px (document {document_width} px, "
                f"{hidden} px hidden in a scrolling box): {', '.join(page.evaluate(OVERFLOWING))}"
            )
        if label_px is not None and label_px < SMALLEST_LABEL_PX - 0.05:
            self.problems.append(
                f"{target}: chart label drawn at {label_px:.1f} px in {label_of} (want >= {SMALLEST_LABEL_PX})"
            )
        pattern = pattern_of(urlsplit(target).path)
        if pattern not in self.audited:
            self.audited.add(pattern)
            try:
                axe_check(page)
            except AssertionError as exc:
                self.problems.append(f"{target}: {exc}")
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            self.enqueue(href, page.url)

    def fetch_downloads(self):
        """Downloads are files, not pages: test_crawl requests them."""

    def table(self, label):
        lines = [f"\nphone walk {label}: {len(self.visited)} pages"]
        for target, (document_width, window_width, hidden, label_px) in self.measured.items():
            chart = f", chart labels >= {label_px:.1f} px" if label_px is not None else ""
            lines.append(
                f"  {document_width:>5} / {window_width} px, {hidden:>4} px in a scrolling box{chart}  {target}"
            )
        print("\n".join(lines))


@pytest.mark.parametrize("email", PHONE_ROLES)
def test_every_page_fits_a_phone(signed_in, base_url, email):
    page = signed_in(email, viewport=PHONE)
    home = ROLES[email][1]
    walk = PhoneWalk(page, base_url).run(home, "/account")
    walk.table(email)

    assert home in walk.visited and "/account" in walk.visited
    assert len(walk.visited) >= MINIMUM_PAGES[email], (
        f"{email}: the walk only reached {len(walk.visited)} pages: {walk.visited}"
    )
    assert not walk.problems, f"{len(walk.problems)} problem(s) at 375 px as {email}:\n" + "\n".join(walk.problems)


def test_hr_employee_table_stacks_into_labelled_cards_on_a_phone(signed_in, base_url):
    """Below 600 px each employee is a card whose lines say which column they are; on a desktop the same
    markup is a plain table with its header row."""
    cell = "#employee-results tbody tr:first-child td[data-label='Status']"
    looks = f"""() => {{
      const td = document.querySelector("{cell}");
      return [getComputedStyle(td.closest('table')).display, getComputedStyle(td, '::before').content,
              td.closest('table').querySelector('thead').getBoundingClientRect().height];
    }}"""
    phone = signed_in("hr@acme.demo.test", viewport=PHONE)
    phone.goto(base_url + "/hr/employees")
    expect(phone.locator(cell)).to_be_visible()
    display, label, header_height = phone.evaluate(looks)
    assert (display, label) == ("block", '"Status"') and header_height <= 1
    assert phone.get_by_role("columnheader", name="Status").count() == 1  # still a table to a screen reader
    phone.context.close()

    desktop = signed_in("hr@acme.demo.test", viewport={"width": 1280, "height": 900})
    desktop.goto(base_url + "/hr/employees")
    display, label, header_height = desktop.evaluate(looks)
    assert (display, label) == ("table", "none") and header_height > 10


def test_management_charts_keep_readable_labels_on_a_phone(signed_in, base_url):
    """The Chart.js charts (static/js/charts.js) draw their axes and legends at 12 px or more at 375 px."""
    page = signed_in("admin@demo.test", viewport=PHONE)
    page.goto(base_url + "/admin/management")
    page.wait_for_function("() => document.querySelectorAll('canvas[data-drawn]').length > 0")
    charts = page.locator("canvas[data-chart]").count()
    _document, _window, _hidden, label_px, label_of = page.evaluate(MEASURE)
    assert charts >= 2 and label_px is not None, f"{charts} chart(s) drawn, smallest label {label_px}"
    assert label_px >= SMALLEST_LABEL_PX, f"{label_of}: chart label drawn at {label_px} px"
