"""Helpers for the browser tests: signing in, axe-core checks, layout checks."""

import functools
from pathlib import Path

from playwright.sync_api import Page, expect

DEMO_PASSWORD = "checkup-demo"
AXE_JS = Path(__file__).resolve().parent.parent / "vendor" / "axe.min.js"

# Each demo account: its role, where it lands, and navigation links it must show (a minimum; the
# links it must NOT show are worked out from the app's own NAVIGATION, see navigation_by_role()).
ROLES = {
    "client@demo.test": ("client", "/me", ["My checkups", "Packages"]),
    "hr@acme.demo.test": ("hr", "/hr", ["Company"]),
    "scheduler@demo.test": ("scheduler", "/desk", ["Front desk", "Clients", "Organizations"]),
    "physician@demo.test": ("physician", "/exam", ["Exam stations"]),
    "chief@demo.test": ("chief", "/exam/review", ["Review", "Exam stations"]),
    "counselor@demo.test": ("counselor", "/care", ["Client care", "Clients", "Organizations"]),
    "admin@demo.test": ("admin", "/admin", ["Admin", "Catalog", "Accounts", "Clients", "Organizations"]),
}
# Demo accounts holding a second role on purpose (checkup/demo/accounts.py): the chief physician (主检医师) is
# a physician too, so she also sees the physicians' navigation.
ALSO_ROLES = {"chief@demo.test": ("physician",)}


def navigation_by_role(app):
    """{role: set of English nav labels} from checkup.web.page_shell, so new links are covered automatically."""
    from checkup.web import page_shell

    by_role = {}
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        for role, _endpoint, label in page_shell.NAVIGATION:
            by_role.setdefault(role, set()).add(str(label))
        for role in page_shell.DIRECTORY_ROLES:
            by_role.setdefault(role, set()).update({"Clients", "Organizations"})
    return by_role


@functools.lru_cache(maxsize=1)
def _axe_source():
    return AXE_JS.read_text(encoding="utf-8") + "\n;void 0;"


def login_as(page: Page, base_url: str, email: str, password: str = DEMO_PASSWORD):
    """Sign in through the real form and wait for the role's home page."""
    page.goto(base_url.rstrip("/") + "/login")
    page.get_by_role("textbox", name="Email", exact=True).fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(base_url.rstrip("/") + "/login")
    home = ROLES[email][1] if email in ROLES else None
    if home:
        expect(page).to_have_url(base_url.rstrip("/") + home)
    return page


def sign_out(page: Page):
    page.locator("header").get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")


def axe_check(page: Page, *, context=None, impacts=("serious", "critical")):
    """Run axe-core on the page; fail on any violation of the given impacts, listing rule and nodes."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Not page.add_script_tag(path=...): that inserts an inline <script>, which the portal's CSP
        # (script-src 'self') rightly blocks. Evaluating through the DevTools protocol is not subject
        # to the page's CSP, so the policy stays enforced for everything the app itself does.
        page.evaluate(_axe_source())
    results = page.evaluate(
        """async (context) => {
            const r = await axe.run(context || document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}));
        }""",
        context,
    )
    bad = [v for v in results if v["impact"] in impacts]
    lines = []
    for v in bad:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']}")
        for node in v["nodes"][:10]:
            lines.append(f"    {node['target']}  -- {(node['summary'] or '').splitlines()[-1].strip()}")
    assert not bad, f"axe found {len(bad)} serious/critical violation(s) on {page.url}:\n" + "\n".join(lines)
    return results


def nav_link_names(page: Page):
    """The visible link texts in the header's navigation (without the brand)."""
    return [t.strip() for t in page.locator("header nav .nav-links a").all_inner_texts()]


def has_horizontal_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def ready_for_review_row(page: Page, exam_code: str):
    """On the chief physician's review page: the row of ``exam_code`` among the checkups ready to sign. The
    list is oldest first, a page at a time, and the demo's floor day fills its first pages: the pager's "Next
    page" (an htmx swap of the list) is followed until the row shows or the list ends."""
    ready = page.locator("#ready-heading ~ * tbody tr").filter(has_text=exam_code)
    number = 1
    while not ready.count() and page.locator("#ready-list a[rel=next]").count():
        number += 1
        page.locator("#ready-list a[rel=next]").click()
        expect(page.locator("#ready-list .pager")).to_contain_text(f"Page {number} of")
    return ready
