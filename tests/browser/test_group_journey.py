"""Group checkups end to end, in Chromium against a whole portal in separate processes (issue 4, "Done when").

HR drafts a contract and its categories (a package that does not fit is refused inline), confirms them, and
the scheduler activates it → HR uploads a roster with four mistakes, sees each by row, column and reason,
chooses to fix the file first, uploads the corrected file and imports it → HR invites everyone; an invited
employee opens the emailed link in a fresh browser, chooses a password, finds their category's package
preselected, adds a self-paid test, books a day in the window and sees what the company and they pay → HR's
dashboard and employee list show the progress → once checkups are completed with signed reports (arranged
in the database until the results issue lands), the scheduler releases an interim group summary, HR waits
for its documents and downloads the PDF: the small management group's findings are suppressed (its
participation is shown as on HR's dashboard), HR cannot ask for a summary itself, and no HR page shows any
result →
a 1,200-row roster is checked and imported in the background while HR leaves the page and comes back.

Runs on SQLite (jobs inline in the web process) and on PostgreSQL with a real rq worker on Redis, where the
invitation emails and the summary PDF come from the worker (the test waits for them). The steps share the
stack and run in order; names, emails and the contract are unique to the run.
"""

import datetime
import re
from decimal import Decimal

from playwright.sync_api import expect

from tests.browser.care_journey_helpers import JOB_TIMEOUT_MS, body_text, pdf_text, sign_in, unique, wait_for_mail
from tests.browser.group_journey_helpers import (
    FAULTS,
    active_contract_for,
    choose_open_day,
    complete_with_signed_reports,
    csv_file,
    dashboard_counts,
    employee_statuses,
    faulty_rows,
    large_roster_rows,
    make_roster,
    xlsx_file,
)
from tests.browser.journey_stack import _bind_live_database, browser_context_args, stack  # noqa: F401 (fixtures)
from tests.browser.live_data import link_path

HR, SCHEDULER = "hr@acme.demo.test", "scheduler@demo.test"
PASSWORD = "Journey-pass-2468!"
PRIVATE_VALUE = "13.57"  # one employee's fasting glucose: HR must never see it
K = 10


def _today(stack):
    from checkup.core import clock

    with stack.database():
        return clock.today()


def _flash(page, kind="success"):
    return page.locator(f".flash.{kind}")


def _save_category(page, label, sex, package, company_pays=True, addons=True):
    page.locator("#label").fill(label)
    page.locator("#sex").select_option(label=sex)
    page.locator("#package").select_option(label=package)
    page.locator("#company_pays").set_checked(company_pays)
    page.locator("#addons_allowed").set_checked(addons)
    page.get_by_role("button", name="Save category").click()


def test_hr_drafts_and_confirms_the_contract_and_the_center_activates_it(stack, new_context):
    today = _today(stack)
    name = unique("Journey checkup ")
    start, end = today, today + datetime.timedelta(days=45)
    hr = sign_in(new_context, stack, HR)
    hr.goto(stack.url + "/hr/contracts")
    expect(hr.get_by_role("heading", level=1)).to_have_text("Contracts")
    hr.get_by_role("button", name="New draft contract").click()
    expect(hr.get_by_role("heading", level=1)).to_have_text("New draft contract")
    hr.get_by_label("Contract name").fill(name)
    hr.get_by_label("Booking window from").fill(start.isoformat())
    hr.get_by_label("Booking window to").fill(end.isoformat())
    hr.get_by_label("Discount (%)").fill("10")
    hr.get_by_label("No-show charge (%)").fill("50")
    hr.get_by_role("button", name="Create draft").click()
    expect(_flash(hr)).to_have_text(f"Draft contract {name} created. Add its categories next.")
    expect(hr).to_have_url(re.compile(re.escape(stack.url) + r"/hr/contracts/\d+$"))
    contract_id = int(hr.url.rsplit("/", 1)[1])
    expect(hr.get_by_role("heading", level=1)).to_have_text(name)
    expect(hr.locator("p .badge")).to_have_text("Draft")
    expect(hr.locator("#categories .empty")).to_have_text("No category yet.")
    expect(hr.get_by_role("button", name="Confirm the categories")).to_be_disabled()

    hr.get_by_role("button", name="Add a category").click()
    _save_category(hr, "Men", "Male", "BASIC-M · Basic checkup (male)")
    expect(_flash(hr)).to_have_text("Category Men saved.")
    hr.get_by_role("button", name="Add a category").click()
    _save_category(hr, "Women", "Female", "BASIC-M · Basic checkup (male)")  # the wrong package: refused inline
    expect(hr.locator("#package-error")).to_contain_text("Set the category's sex to match, or choose another package.")
    expect(hr.locator("#package")).to_have_attribute("aria-invalid", "true")
    hr.locator("#package").select_option(label="BASIC-F · Basic checkup (female)")
    hr.get_by_role("button", name="Save category").click()
    expect(_flash(hr)).to_have_text("Category Women saved.")
    hr.get_by_role("button", name="Add a category").click()
    _save_category(hr, "Management", "Any", "COMP · Comprehensive checkup")
    expect(_flash(hr)).to_have_text("Category Management saved.")
    # edit: women may not add self-paid items after all
    hr.get_by_role("link", name="Edit Women").click()
    expect(hr.locator("#package")).to_have_value(re.compile(r"\d+"))
    hr.locator("#addons_allowed").uncheck()
    hr.get_by_role("button", name="Save category").click()
    expect(_flash(hr)).to_have_text("Category Women saved.")

    rows = hr.locator("#categories tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Male")
    expect(rows.nth(0)).to_contain_text("BASIC-M · Basic checkup (male)")
    expect(rows.nth(0)).to_contain_text("Allowed, self-paid")
    expect(rows.nth(1)).to_contain_text("BASIC-F · Basic checkup (female)")
    expect(rows.nth(1)).to_contain_text("Not allowed")
    expect(rows.nth(2)).to_contain_text("COMP · Comprehensive checkup")
    expect(rows.nth(2)).to_contain_text("Company")
    status = hr.locator("#status")
    expect(status).to_contain_text("The company's HR contact has not confirmed the categories yet.")
    hr.get_by_role("button", name="Confirm the categories").click()
    expect(_flash(hr)).to_have_text("Categories confirmed. The center will activate the contract.")
    expect(status).to_contain_text("Everything is ready for activation.")
    expect(hr.locator("dl.facts")).not_to_contain_text("Not yet")
    expect(hr.get_by_role("button", name="Activate the contract")).to_have_count(0)  # the center's step

    desk = sign_in(new_context, stack, SCHEDULER)
    desk.goto(f"{stack.url}/desk/contracts/{contract_id}")
    expect(desk.get_by_role("heading", level=1)).to_have_text(name)
    expect(desk.locator("#status")).to_contain_text("Everything is ready for activation.")
    desk.get_by_role("button", name="Activate the contract").click()
    expect(_flash(desk)).to_have_text(f"Contract {name} is active: employees can book.")
    expect(desk.locator("p .badge")).to_have_text("Active")

    hr.reload()
    expect(hr.locator("p .badge")).to_have_text("Active")
    expect(hr.get_by_role("link", name="Edit Men")).to_have_count(0)  # categories are fixed now
    with stack.database():
        from checkup.models import ContractCategory, GroupContract

        contract = GroupContract.get_by_id(contract_id)
        categories = {c.label: c for c in ContractCategory.select().where(ContractCategory.contract == contract_id)}
    assert contract.status == "active" and contract.hr_confirmed_at and contract.activated_at
    assert (categories["Women"].sex, categories["Women"].addons_allowed) == ("female", False)
    stack.state.update(contract_id=contract_id, name=name, window=(start, end))


def test_hr_fixes_a_faulty_roster_and_imports_it(stack, new_context):
    contract_id = stack.state["contract_id"]
    roster = make_roster(stack.state["window"][0])
    stack.state["roster"] = roster
    hr = sign_in(new_context, stack, HR)
    hr.goto(f"{stack.url}/hr/contracts/{contract_id}")
    hr.get_by_role("link", name="Employee list import").click()
    expect(hr.get_by_role("heading", level=1)).to_have_text(f"Roster import · {stack.state['name']}")
    expect(hr.get_by_text("No file uploaded for this contract yet.")).to_be_visible()

    hr.get_by_label("Roster file (CSV or XLSX)").set_input_files(xlsx_file(faulty_rows(roster), "staff-2025.xlsx"))
    hr.get_by_role("button", name="Upload and check").click()
    expect(hr.get_by_role("heading", level=1)).to_have_text("Roster file staff-2025.xlsx")
    status = hr.locator("#roster-status")
    expect(status.locator(".badge")).to_have_text("Checked: waiting for your decision")
    facts = status.locator("dl.facts")
    expect(facts).to_contain_text("Rows in the file26")
    expect(facts).to_contain_text("Correct rows22")
    expect(facts).to_contain_text("Rows with problems4")
    expect(status.get_by_text("4 problems, listed by row and column.")).to_be_visible()
    problems = status.locator("table.import-problems tbody tr")
    expect(problems).to_have_count(len(FAULTS))
    for n, (index, column, reason) in enumerate(FAULTS):
        expect(problems.nth(n).locator("td")).to_have_text([str(index + 2), column, reason])
    expect(hr.get_by_role("button", name="Import the 22 correct rows")).to_be_visible()
    hr.get_by_role("button", name="Fix the file first (discard this upload)").click()
    expect(hr.locator(".flash.info")).to_have_text(
        "The file was discarded; nothing was imported. Correct it and upload it again."
    )
    expect(hr.get_by_role("heading", level=1)).to_contain_text("Roster import")
    expect(hr.locator("table tbody tr").first).to_contain_text("Discarded")
    with stack.database():
        from checkup.models import Enrollment

        assert Enrollment.select().where(Enrollment.contract == contract_id).count() == 0

    fixed = [e.row() for e in roster.employees]
    hr.get_by_label("Roster file (CSV or XLSX)").set_input_files(csv_file(fixed, "staff-2025-fixed.csv"))
    hr.get_by_role("button", name="Upload and check").click()
    expect(hr.get_by_role("heading", level=1)).to_have_text("Roster file staff-2025-fixed.csv")
    expect(facts).to_contain_text("Correct rows26")
    expect(facts).to_contain_text("Rows with problems0")
    expect(status).to_contain_text("Every row is correct.")
    expect(status.locator("table.import-problems")).to_have_count(0)
    hr.get_by_role("button", name="Import the 26 correct rows").click()
    expect(_flash(hr)).to_have_text("Imported 26 employees.")  # never whether someone is known to the center
    expect(status.locator(".badge")).to_have_text("Imported")
    expect(facts).not_to_contain_text("New to the center")  # nothing HR sees depends on who is known

    shown = employee_statuses(hr, stack, contract_id)
    expect(hr.locator("#employee-results [role=status]")).to_have_text("26 employees found.")
    assert shown == {e.number: "Not invited" for e in roster.employees}
    no_email = hr.locator("#employee-results tbody tr", has_text=roster.employees[19].number)
    expect(no_email).to_contain_text("No email")
    with stack.database():
        from checkup.models import Client, Enrollment

        enrolled = {
            e.employee_no: (e.category.label, e.client.name, e.department)
            for e in Enrollment.select().join(Client).where(Enrollment.contract == contract_id)
        }
    assert enrolled == {e.number: (e.category, e.name, e.department) for e in roster.employees}


def test_invited_employee_sets_a_password_and_books_with_the_price_split(stack, new_context):
    contract_id, roster = stack.state["contract_id"], stack.state["roster"]
    employee = roster.by_category("Men")[0]
    hr = sign_in(new_context, stack, HR)
    hr.goto(f"{stack.url}/hr/invitations?contract={contract_id}")
    expect(hr.get_by_role("heading", level=1)).to_have_text("Invitations")
    figures = hr.locator("section[aria-labelledby=figures-heading] dl.facts")
    expect(figures).to_contain_text("Not invited yet26")
    expect(hr.locator(".flash.warning")).to_contain_text("1 employee has no email address")
    hr.get_by_role("button", name="Invite everyone not invited yet").click()
    confirm = hr.locator("article[aria-labelledby=confirm-heading]")
    expect(confirm).to_contain_text("25 employees will get an invitation email now.")
    expect(confirm).to_contain_text("1 employee has no email address and is left out.")
    confirm.get_by_role("button", name="Send 25 invitations").click()
    # SQLite runs tasks inline (sent before the page answers); PostgreSQL owes them to the rq worker
    expect(_flash(hr)).to_have_text(
        "25 invitations are being sent." if stack.backend == "postgresql" else "25 invitations sent."
    )
    progress = hr.locator("#invitation-progress")
    if progress.count():  # the worker was not done when the page loaded: the bar polls until it is
        expect(progress).to_contain_text("Every invitation has been sent.", timeout=JOB_TIMEOUT_MS)
    for address in (e.email for e in roster.employees if e.email):
        wait_for_mail(stack, address)
    shown = employee_statuses(hr, stack, contract_id)
    assert sorted(shown.values()) == ["Invited"] * 25 + ["Not invited"]

    invitation = wait_for_mail(stack, employee.email)
    assert "Acme Manufacturing" in body_text(invitation)
    path = link_path(body_text(invitation), r"/invite/[A-Za-z0-9_\-]+")
    visitor = new_context().new_page()  # the employee, never signed in here
    visitor.goto(stack.url + path)
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Your company checkup")
    expect(visitor.locator("main")).to_contain_text("Acme Manufacturing invites you")
    expect(visitor.get_by_label("Email (your sign-in name)")).to_have_value(employee.email)
    visitor.get_by_label(re.compile(r"^New password")).fill(PASSWORD)
    visitor.get_by_label("Repeat new password").fill(PASSWORD)
    visitor.get_by_role("button", name="Create my account").click()
    expect(_flash(visitor)).to_have_text("Welcome! Your account is ready. Now choose the day of your checkup.")
    expect(visitor).to_have_url(re.compile(re.escape(stack.url) + r"/me/group/\d+/book"))
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Book your company checkup")
    terms = visitor.locator("main dl.facts").first
    expect(terms).to_contain_text("CategoryMen")
    expect(terms).to_contain_text("PackageBasic checkup (male)")  # the category's package, preselected
    expect(visitor.locator("#company-amount")).to_have_text("¥359.10")  # 399.00 less the contract's 10 %
    expect(visitor.locator("#self-amount")).to_have_text("¥0.00")

    visitor.get_by_text("Add extra examinations at your own cost (optional)").click()
    addon = visitor.locator("label[for=addon-THYROID]")
    addon_price = re.search(r"¥([\d,]+\.\d\d)", addon.inner_text()).group(1)
    visitor.locator("#addon-THYROID").check()  # htmx swaps the price and the calendar
    expect(visitor).to_have_url(re.compile(r"addons=THYROID"))
    expect(visitor.locator("#self-amount")).to_have_text(f"¥{addon_price}")
    expect(visitor.locator("#company-amount")).to_have_text("¥359.10")

    start, end = stack.state["window"]
    day = choose_open_day(visitor, _today(stack) + datetime.timedelta(days=3))
    assert start <= day <= end
    slot = visitor.locator("#picker ul.slots a").first
    slot_time = slot.inner_text().split(" ")[0]
    slot.click()

    expect(visitor.get_by_role("heading", level=1)).to_have_text("Confirm your company checkup")
    facts = visitor.locator("main dl.facts").first
    expect(facts).to_contain_text("CompanyAcme Manufacturing")
    expect(facts).to_contain_text(f"Date{day.isoformat()}")
    expect(facts).to_contain_text(f"Time{slot_time}")
    split = visitor.locator("section[aria-labelledby=price-heading]")
    expect(split).to_contain_text("paid by your company")
    expect(split).to_contain_text("paid by you")
    expect(visitor.locator("#company-amount")).to_have_text("¥359.10")
    expect(visitor.locator("#self-amount")).to_have_text(f"¥{addon_price}")
    visitor.get_by_role("button", name="Book this checkup").click()
    expect(_flash(visitor)).to_have_text("Your checkup is booked. A confirmation email is on its way.")
    expect(visitor.get_by_role("heading", level=1)).to_have_text(f"Checkup on {day.isoformat()}")
    again = new_context().new_page()  # the link works once
    assert again.goto(stack.url + path).status == 404
    expect(again.get_by_role("heading", level=1)).to_have_text("Invitation link not valid")

    with stack.database():
        from checkup.models import Appointment, Client, Enrollment

        client = Client.get(Client.email == employee.email)
        enrollment = Enrollment.get(Enrollment.contract == contract_id, Enrollment.client == client.id)
        appointment = Appointment.get_by_id(enrollment.appointment_id)
    assert (appointment.status, appointment.day, appointment.source) == ("booked", day, "group")
    assert appointment.company_amount == Decimal("359.10")
    assert appointment.self_amount == Decimal(addon_price.replace(",", ""))
    stack.state.update(booked_client_id=client.id, booked_number=employee.number)


def test_hr_sees_the_progress_move(stack, new_context):
    contract_id = stack.state["contract_id"]
    hr = sign_in(new_context, stack, HR)
    counts = dashboard_counts(hr, stack, contract_id)
    assert counts == {
        "Not invited": 1,
        "Invited": 24,
        "Booked": 1,
        "Checked in": 0,
        "Completed": 0,
        "No-show": 0,
        "Total": 26,
    }
    section = hr.locator(f"section[aria-labelledby='contract-{contract_id}']")
    expect(section.locator("svg desc")).to_contain_text("Booked: 1")
    by_category = section.locator("table", has=hr.locator("caption", has_text="Employees by category and status"))
    men = by_category.locator("tbody tr", has=hr.get_by_role("rowheader", name="Men", exact=True))
    expect(men.locator("td")).to_have_text(["0", "11", "1", "0", "0", "0", "12"])
    shown = employee_statuses(hr, stack, contract_id)
    assert shown[stack.state["booked_number"]] == "Booked"
    assert sorted(shown.values()).count("Invited") == 24


def _hr_page_texts(hr, stack, contract_id):
    """The HTML of every HR page about the contract (and the dashboard), as the browser got it."""
    texts = {}
    for path in (
        "/hr",
        f"/hr/employees?contract={contract_id}",
        f"/hr/contracts/{contract_id}",
        f"/hr/contracts/{contract_id}/documents",
        f"/hr/contracts/{contract_id}/summary",
        f"/hr/contracts/{contract_id}/roster",
        f"/hr/invitations?contract={contract_id}",
    ):
        response = hr.goto(stack.url + path)
        assert response.status == 200, (path, response.status)
        texts[path] = hr.content()
    return texts


def test_hr_gets_the_group_summary_pdf_with_small_cells_suppressed(stack, new_context):
    contract_id = stack.state["contract_id"]
    private_summary = unique("Private physician summary ")
    completed = complete_with_signed_reports(
        stack,
        contract_id,
        [stack.state["booked_client_id"]],
        high_glucose=12,
        private_value=PRIVATE_VALUE,
        private_summary=private_summary,
    )
    assert completed == 25
    hr = sign_in(new_context, stack, HR)
    counts = dashboard_counts(hr, stack, contract_id)
    assert (counts["Completed"], counts["Booked"], counts["Invited"], counts["Total"]) == (25, 1, 0, 26)

    hr.goto(f"{stack.url}/hr/contracts/{contract_id}")
    hr.get_by_role("link", name="Summary report and billing").click()
    expect(hr.get_by_role("heading", level=1)).to_have_text(f"Group documents: {stack.state['name']}")
    expect(hr.locator("main")).to_contain_text(f"any figure about fewer than {K} people is not shown")
    releases = hr.locator("#group-documents section[aria-labelledby='releases-heading']")
    expect(releases.locator(".empty")).to_have_text("No summary has been released yet.")
    expect(hr.get_by_role("button", name=re.compile("Group health summary"))).to_have_count(0)  # not HR's to ask

    # the center releases it, from the contract's page
    desk = sign_in(new_context, stack, SCHEDULER)
    desk.goto(f"{stack.url}/desk/contracts/{contract_id}")
    desk.get_by_role("button", name="Release an interim summary").click()
    expect(_flash(desk)).to_have_text("Summary release 1 is published; its documents are being prepared.")
    expect(desk.locator("#release-refusal")).to_contain_text("Release 1 is still current")

    hr.reload()
    row = hr.locator("#group-documents tbody tr", has=hr.get_by_role("rowheader", name="Release 1 (interim)"))
    expect(row).to_have_count(1)
    english_pdf = row.locator("li", has_text="PDF · English")
    # on PostgreSQL the rq worker renders it; the status polls itself every 2 s until ready
    expect(english_pdf.locator(".badge")).to_have_text("Ready", timeout=JOB_TIMEOUT_MS)
    with hr.expect_download(timeout=JOB_TIMEOUT_MS) as download_info:
        english_pdf.get_by_role("link", name=re.compile(r"^Download")).click()
    download = download_info.value
    assert download.suggested_filename == f"group-summary-{contract_id}-release-1-en.pdf"
    with open(download.path(), "rb") as pdf:
        text = pdf_text(pdf.read())

    assert "Group health summary" in text and stack.state["name"] in text
    assert f"* not shown: fewer than {K} people" in text  # the legend
    assert re.search(r"50–59\s+\*\s+\*\s+\*", text), text  # the three managers' age band, in participation
    # their department and category: exactly as HR's dashboard shows them anyway
    assert re.search(r"Finance\s+3\s+3\s+100\.0%", text), text
    assert re.search(r"Management\s+3\s+3\s+100\.0%", text), text
    assert re.search(r"30–39\s+12\s+11\b", text), text  # the men's band is shown (one of them has not been yet)
    assert "Fasting plasma glucose (high)" in text  # 12 people: a top finding
    # from the age bands on (findings included), no standalone whole number below k
    figures = re.sub(r"Page \d+ of \d+|\d{4}-\d{2}-\d{2}", "", text.split("By age band", 1)[1])
    small = [int(n) for n in re.findall(r"(?<![\w.\-–])(\d+)(?![\w.%\-–])", figures) if 0 < int(n) < K]
    assert small == [], (small, text)
    assert PRIVATE_VALUE not in text and private_summary not in text
    assert not any(e.name in text for e in stack.state["roster"].employees)

    with stack.database():
        from checkup.models import GroupDocument

        documents = list(GroupDocument.select().where(GroupDocument.contract == contract_id))
    assert sorted((d.kind, d.fmt, d.locale) for d in documents) == [
        ("summary", "pdf", "en"),
        ("summary", "pdf", "zh"),
        ("summary", "xlsx", "en"),
        ("summary", "xlsx", "zh"),
    ]

    # HR never sees an individual result: not on any page about the contract
    for path, html in _hr_page_texts(hr, stack, contract_id).items():
        assert PRIVATE_VALUE not in html, path
        assert private_summary not in html, path
        assert "mmol/L" not in html, path


def test_hr_imports_a_large_roster_in_the_background_and_may_leave_meanwhile(stack, new_context):
    """More rows than CHECKUP_ROSTER_JOB_ROWS: checked and imported by jobs (the rq worker on PostgreSQL),
    the status block polls itself, and HR can leave and find the import again in the list."""
    count = 1200
    contract_id = active_contract_for(stack, HR, "Plant")
    hr = sign_in(new_context, stack, HR)
    hr.goto(f"{stack.url}/hr/contracts/{contract_id}/roster")
    hr.get_by_label("Roster file (CSV or XLSX)").set_input_files(
        csv_file(large_roster_rows(count, "Plant"), "plant-staff.csv")
    )
    hr.get_by_role("button", name="Upload and check").click()
    expect(hr.get_by_role("heading", level=1)).to_have_text("Roster file plant-staff.csv")
    hr.goto(f"{stack.url}/hr")  # leave while the check runs, then come back through the list of files
    hr.goto(f"{stack.url}/hr/contracts/{contract_id}/roster")
    listed = hr.locator("table tbody tr", has_text="plant-staff.csv")
    expect(listed).to_have_count(1)
    listed.get_by_role("link").click()
    status = hr.locator("#roster-status")
    expect(status.locator(".badge")).to_have_text("Checked: waiting for your decision", timeout=JOB_TIMEOUT_MS)
    expect(status.locator("dl.facts")).to_contain_text(f"Correct rows{count}")
    hr.get_by_role("button", name=f"Import the {count} correct rows").click()
    expect(status.locator(".badge")).to_have_text("Imported", timeout=JOB_TIMEOUT_MS)
    expect(status.locator("dl.facts")).to_contain_text(f"Correct rows{count}")
    with stack.database():
        from checkup.models import Enrollment, RosterImport

        assert Enrollment.select().where(Enrollment.contract == contract_id).count() == count
        assert RosterImport.get(RosterImport.contract == contract_id).state == "imported"
