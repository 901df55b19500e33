"""Crawl every page each demo account can reach, in Chromium, and fail on broken or inaccessible pages.

From each role's home, a breadth-first walk over same-origin ``a[href]`` links (GET only). Paths are
grouped by pattern (digits -> ``{id}``): at most 3 concrete paths and 2 query-string variants per
pattern, and at most ``MAX_PAGES`` pages per role. Every page must answer < 400, have exactly one
<h1>, pass axe (serious/critical), not scroll sideways at desktop width, and log no console error or
CSP violation (the conftest watcher). Downloads (.pdf/.xlsx/.csv/.ics or a non-HTML answer) are
requested, not opened: they must answer < 500, and an HR contact must not reach a medical report.

Run with ``-rA`` (or ``-s``) to see how many pages each role visited.
"""

import re
from collections import defaultdict, deque
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.helpers import ROLES, axe_check, has_horizontal_scroll

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
MAX_PAGES = 120
PER_PATTERN = 2
QUERY_VARIANTS = 2
DOWNLOAD_SUFFIXES = (".pdf", ".xlsx", ".csv", ".ics")
SKIP_PATHS = {"/logout", "/language"}
PUBLIC_PAGES = ["/", "/login", "/register", "/password/forgot"]

# The fewest pages a role's crawl may visit: well below today's counts, but far above "nothing".
MINIMUM_PAGES = {
    "client@demo.test": 12,
    "hr@acme.demo.test": 10,
    "scheduler@demo.test": 25,
    "physician@demo.test": 12,
    "chief@demo.test": 12,
    "counselor@demo.test": 20,
    "admin@demo.test": 30,
}

# What an HR contact must never be able to download: an employee's report, results or exam papers.
HR_FORBIDDEN_URL = re.compile(r"/(me|exam|care)/|/reports?/|result|exam-sheet|letter", re.IGNORECASE)
HR_FORBIDDEN_FILE = re.compile(r"report|result|exam-sheet|letter", re.IGNORECASE)


def pattern_of(path):
    return re.sub(r"\d+", "{id}", path)


class Crawl:
    def __init__(self, page, base_url, *, signed_in=True, max_pages=MAX_PAGES):
        self.page = page
        self.origin = base_url.rstrip("/")
        self.signed_in = signed_in
        self.max_pages = max_pages
        self.queue = deque()
        self.queued = set()
        self.paths = defaultdict(set)  # pattern -> concrete paths taken
        self.queries = defaultdict(set)  # pattern -> query strings taken
        self.visited = []
        self.downloads = {}  # url -> (status, content type, content disposition)
        self.problems = []

    # -- the frontier -------------------------------------------------------------------------------

    def enqueue(self, href, base=None):
        parts = urlsplit(urljoin(base or self.origin + "/", href))
        if parts.scheme not in ("http", "https") or f"{parts.scheme}://{parts.netloc}" != self.origin:
            return
        path = parts.path or "/"
        if path in SKIP_PATHS:
            return
        pattern = pattern_of(path)
        if path not in self.paths[pattern]:
            if len(self.paths[pattern]) >= PER_PATTERN:
                return
            self.paths[pattern].add(path)
        query = parts.query
        if path.lower().endswith(DOWNLOAD_SUFFIXES):
            self.downloads.setdefault(path + (f"?{query}" if query else ""), None)
            return
        if query and query not in self.queries[pattern]:
            if len(self.queries[pattern]) >= QUERY_VARIANTS:
                query = ""  # enough variants of this pattern: the bare path stands for the rest
            else:
                self.queries[pattern].add(query)
        target = path + (f"?{query}" if query else "")
        if target not in self.queued:
            self.queued.add(target)
            self.queue.append(target)

    # -- one page -----------------------------------------------------------------------------------

    def visit(self, target):
        page = self.page
        try:
            response = page.goto(self.origin + target, wait_until="load")
        except PlaywrightError as exc:  # an attachment ("Download is starting"), or a real failure
            info = self.fetch(target)
            if "text/html" in info[1]:
                self.problems.append(f"{target}: navigation failed: {exc}")
            else:
                self.downloads[target] = info
            return
        if response is None:
            self.problems.append(f"{target}: no response")
            return
        content_type = response.headers.get("content-type", "")
        if "text/html" not in content_type:
            self.downloads[target] = (response.status, content_type, response.headers.get("content-disposition", ""))
            return
        self.visited.append(target)
        where = target if page.url == self.origin + target else f"{target} (-> {page.url[len(self.origin) :]})"
        if response.status >= 400:
            self.problems.append(f"{where}: HTTP {response.status}")
        if self.signed_in and urlsplit(page.url).path == "/login":
            self.problems.append(f"{where}: sent back to the sign-in page")
        # htmx "load" triggers start before the load event: let them land before checking the page. A function,
        # not a bare expression: Playwright polls a bare expression through eval(), which the page's CSP refuses.
        try:
            page.wait_for_function("() => !document.querySelector('.htmx-request')", timeout=5000)
        except PlaywrightError as exc:
            if "Timeout" in str(exc):
                self.problems.append(f"{where}: an htmx request was still running after 5 s")
            else:
                self.problems.append(f"{where}: waiting for htmx failed: {str(exc).splitlines()[0]}")
        h1_count = page.locator("h1").count()
        if h1_count != 1:
            self.problems.append(f"{where}: {h1_count} <h1> elements (want exactly 1)")
        try:
            axe_check(page)
        except AssertionError as exc:
            self.problems.append(f"{where}: {exc}")
        if has_horizontal_scroll(page):
            widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            self.problems.append(f"{where}: scrolls sideways at desktop width (scrollWidth/innerWidth = {widths})")
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            self.enqueue(href, page.url)

    def run(self, *starts):
        for start in starts:
            self.enqueue(start)
        while self.queue and len(self.visited) < self.max_pages:
            self.visit(self.queue.popleft())
        self.fetch_downloads()
        return self

    # -- downloads ----------------------------------------------------------------------------------

    def fetch(self, url):
        """(status, content type, content disposition) of a GET with the page's cookies, not opened."""
        response = self.page.request.get(self.origin + url)
        info = (
            response.status,
            response.headers.get("content-type", ""),
            response.headers.get("content-disposition", ""),
        )
        response.dispose()
        return info

    def fetch_downloads(self):
        for url in list(self.downloads):
            if self.downloads[url] is None:
                self.downloads[url] = self.fetch(url)
            status = self.downloads[url][0]
            if status >= 500:
                self.problems.append(f"{url}: download answered HTTP {status}")

    def reachable_downloads(self):
        return {url: info for url, info in self.downloads.items() if info[0] < 400}

    def report(self, label):
        patterns = sorted({pattern_of(urlsplit(url).path) for url in self.visited})
        print(
            f"\ncrawl {label}: {len(self.visited)} pages ({len(patterns)} patterns), "
            f"{len(self.downloads)} downloads, {len(self.queue)} links left unvisited"
        )
        print("  pages: " + " ".join(patterns))
        print(
            "  downloads: "
            + " ".join(
                sorted(
                    {
                        f"{pattern_of(url)} [{info[0]} {info[2] or info[1]}]"
                        for url, info in self.downloads.items()
                        if info
                    }
                )
            )
        )
        return "\n".join(self.problems)


@pytest.mark.parametrize("email", list(ROLES))
def test_every_reachable_page_works_and_passes_axe(signed_in, base_url, email):
    page = signed_in(email, viewport=DESKTOP)
    home = ROLES[email][1]
    crawl = Crawl(page, base_url).run(home, "/account")
    problems = crawl.report(email)

    assert home in crawl.visited and "/account" in crawl.visited
    assert len(crawl.visited) >= MINIMUM_PAGES[email], (
        f"{email}: the crawl only reached {len(crawl.visited)} pages: {crawl.visited}"
    )
    if ROLES[email][0] == "hr":
        leaks = [
            f"{url} ({info[2] or info[1]})"
            for url, info in crawl.reachable_downloads().items()
            if HR_FORBIDDEN_URL.search(url) or HR_FORBIDDEN_FILE.search(info[2])
        ]
        assert not leaks, f"an HR contact can download medical documents: {leaks}"
    assert not problems, f"{len(crawl.problems)} problem(s) crawling as {email}:\n{problems}"


def test_client_pages_work_in_chinese(signed_in, base_url):
    """Every client page renders in Chinese too (an untranslatable template would crash here)."""
    page = signed_in("client@demo.test", viewport=DESKTOP)
    page.goto(base_url + "/me")
    page.locator("header").get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    try:
        crawl = Crawl(page, base_url).run("/me", "/account")
        for target in crawl.visited[:3]:
            page.goto(base_url + target)
            expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    finally:
        # The language is stored on the account: put it back for the tests that follow.
        page.goto(base_url + "/me")
        page.locator("header").get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    problems = crawl.report("client@demo.test (zh)")
    assert len(crawl.visited) >= MINIMUM_PAGES["client@demo.test"], crawl.visited
    assert not problems, f"{len(crawl.problems)} problem(s) crawling as the client in Chinese:\n{problems}"


def test_public_pages_work_signed_out(new_context, base_url):
    page = new_context(viewport=DESKTOP).new_page()
    crawl = Crawl(page, base_url, signed_in=False, max_pages=30).run(*PUBLIC_PAGES)
    problems = crawl.report("signed out")

    assert set(PUBLIC_PAGES) <= set(crawl.visited), crawl.visited
    assert not problems, f"{len(crawl.problems)} problem(s) on the public pages:\n{problems}"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_roles_header_fits(signed_in, base_url, viewport):
    """However many pages a role has, its header links wrap inside the screen; on a desktop they take
    at most two lines beside the brand."""
    for email, (_role, home, _links) in ROLES.items():
        page = signed_in(email, viewport=viewport)
        page.goto(base_url + home)
        assert not has_horizontal_scroll(page), f"{email}: {home} scrolls sideways at {viewport}"
        for box in (el.bounding_box() for el in page.locator("header nav a, header nav button").all()):
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 0.5, (email, box)
        if viewport is DESKTOP:
            rows = []
            for top in sorted(el.bounding_box()["y"] for el in page.locator("header .nav-links > li").all()):
                if not rows or top - rows[-1] > 10:
                    rows.append(top)
            assert len(rows) <= 2, f"{email}: the header's links take {len(rows)} lines at {viewport}"
            brand = page.locator("header .brand").bounding_box()
            assert rows[0] < brand["y"] + brand["height"], f"{email}: the header's links start below the brand"
        page.context.close()
