"""Every route x every role (and anonymous) → the expected answer. A new route without a rule fails here."""

import pytest

from checkup.core.audit import Actor
from checkup.services.booking import booking
from tests import factories
from tests.booking_helpers import Center

PUBLIC = "public"
ANY = "any signed-in role"
ADMIN, SCHED, DOC, CARE, HR, CLIENT = "admin", "scheduler", "physician", "counselor", "hr", "client"
CHIEF = "chief"  # the chief physician (主检医师)
ROLES = [None, CLIENT, HR, SCHED, DOC, CHIEF, CARE, ADMIN]
STAFF_DIRECTORY = {ADMIN, SCHED, CARE}

# endpoint: who may use it
RULES = {
    "static": PUBLIC,
    "healthz": PUBLIC,
    "favicon": PUBLIC,
    "home.index": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.register": PUBLIC,
    "auth.forgot_password": PUBLIC,
    "auth.reset_password": PUBLIC,
    "auth.set_language": PUBLIC,
    "account.profile": ANY,
    "account.update_profile": ANY,
    "account.change_password": ANY,
    "client.home": {CLIENT},
    "client.packages": {CLIENT},
    "client.package_detail": {CLIENT},
    "booking.choose": {CLIENT},
    "booking.confirm": {CLIENT},
    "booking.appointment_list": {CLIENT},
    "booking.appointment": {CLIENT},
    "booking.appointment_ics": {CLIENT},
    "booking.cancel": {CLIENT},
    "booking.reschedule": {CLIENT},
    "booking.join_waitlist": {CLIENT},
    "booking.leave_waitlist": {CLIENT},
    "booking.waitlist_offer": {CLIENT},
    "offer_links.open": PUBLIC,
    "hr.home": {HR},
    "desk.home": {SCHED},
    "exam.home": {DOC},
    "care.home": {CARE},
    "exam.ranges": {DOC},
    "exam.station": {DOC},
    "exam.result_form": {DOC},
    "exam.flag": {DOC},
    "exam.import_results": {DOC},
    "exam.preview_import": {DOC},
    "exam.conflicts": {DOC},
    "exam.resolve_conflict": {DOC},
    "alerts.acknowledge": {DOC, CARE},
    "desk_booking.search": {SCHED, ADMIN},
    "desk_booking.detail": {SCHED, ADMIN},
    "desk_booking.cancel": {SCHED, ADMIN},
    "desk_booking.reschedule": {SCHED, ADMIN},
    "desk_booking.book_for_client": {SCHED, ADMIN},
    "daysheet.today": {SCHED, ADMIN},
    "daysheet.check_in": {SCHED, ADMIN},
    "daysheet.no_show": {SCHED, ADMIN},
    "daysheet.walk_in": {SCHED, ADMIN},
    "daysheet.guide_sheet": {SCHED, ADMIN},
    "daysheet.specimen_labels": {SCHED, ADMIN},
    "capacity.calendar": {SCHED, ADMIN},
    "capacity.day": {SCHED, ADMIN},
    "capacity.close": {SCHED, ADMIN},
    "capacity.reopen": {SCHED, ADMIN},
    "capacity.slot_save": {SCHED, ADMIN},
    "capacity.resource_save": {SCHED, ADMIN},
    "capacity.template": {SCHED, ADMIN},
    "capacity.import_file": {SCHED, ADMIN},
    "capacity.import_template": {SCHED, ADMIN},
    "directory.clients": STAFF_DIRECTORY,
    "directory.client_detail": STAFF_DIRECTORY,
    "directory.client_consents": STAFF_DIRECTORY,
    "directory.organizations": STAFF_DIRECTORY,
    "directory.organization_detail": STAFF_DIRECTORY,
    "directory.client_new": {ADMIN, SCHED},
    "directory.client_edit": {ADMIN, SCHED},
    "directory.organization_new": {ADMIN, SCHED},
    "directory.organization_edit": {ADMIN, SCHED},
    "admin.dashboard": {ADMIN},
    "admin.audit_log": {ADMIN},
    "admin.tasks": {ADMIN},
    "admin.task_retry": {ADMIN},
    "admin.task_discard": {ADMIN},
    "admin_accounts.index": {ADMIN},
    "admin_accounts.create": {ADMIN},
    "admin_accounts.detail": {ADMIN},
    "admin_accounts.update_roles": {ADMIN},
    "admin_accounts.set_active": {ADMIN},
    "review.index": {CHIEF},
    "review.appointment": {CHIEF},
    "review.save_draft": {CHIEF},
    "review.sign": {CHIEF},
    "review.pdf_status": {CHIEF},
    "review.retry_pdf": {CHIEF},
    "review.amend": {CHIEF},
    "station_conclusions.conclusion": {DOC, CHIEF},
    "station_conclusions.reopen": {CHIEF},
    "reports.my_reports": {CLIENT},
    "reports.download": {CLIENT},
    "report_files.download": {DOC, CHIEF, CARE, ADMIN},
}
CATALOG = [
    "index",
    "items",
    "item_new",
    "item_detail",
    "item_edit",
    "item_delete",
    "item_row",
    "item_row_form",
    "item_row_save",
    "item_validate",
    "range_add",
    "range_delete",
    "package_list",
    "package_new",
    "package_edit",
    "package_active",
    "package_validate",
    "resource_list",
    "resource_new",
    "resource_edit",
    "resource_validate",
    "module_list",
    "module_new",
    "module_edit",
    "module_validate",
    "module_active",
    "station_rules",
    "station_rule_delete",
    "station_staff_list",
    "station_staff_add",
    "station_staff_remove",
]
RULES.update({f"catalog.{name}": {ADMIN} for name in CATALOG})
RULES.update(
    {
        "care_rules.index": {ADMIN},
        "care_rules.save_rule": {ADMIN},
        "care_rules.add_snippet": {ADMIN},
        "care_rules.delete_snippet": {ADMIN},
    }
)

# --- contracts (each area keeps its own block) ---
RULES.update(
    {
        f"contracts.{name}": {ADMIN, SCHED}
        for name in (
            "index",
            "new",
            "detail",
            "edit",
            "category_new",
            "category_edit",
            "category_delete",
            "activate",
            "close",
            "reservation_new",
            "reservation_cancel",
            "release_summary",
        )
    }
)
RULES.update(
    {
        f"hr_contracts.{name}": {HR}
        for name in ("index", "new", "detail", "edit", "category_new", "category_edit", "category_delete", "confirm")
    }
)

# --- roster (each area keeps its own block) ---
RULES.update(
    {f"hr_roster.{name}": {HR} for name in ("index", "upload", "detail", "status", "commit", "discard", "template")}
)

# --- enrollments and invitations (each area keeps its own block) ---
RULES.update(
    {
        "hr.profile_edit": {HR},
        "hr.employees": {HR},
        "hr.export_employees": {HR},
        "hr.export_status": {HR},
        "hr.export_download": {HR},
        "hr.invitations_page": {HR},
        "hr.send_invitations": {HR},
        "hr.invitation_progress": {HR},
        "invitations.landing": PUBLIC,
    }
)

# --- enrollment identity: joining a roster's record to the person's own (each area keeps its own block) ---
RULES.update({"client.earlier_records": {CLIENT}, "daysheet.join_record": {SCHED, ADMIN}})

# --- group booking (each area keeps its own block) ---
RULES.update(
    {
        "group_booking.index": {CLIENT},
        "group_booking.book": {CLIENT},
        "group_booking.confirm": {CLIENT},
        "hr_booking.detail": {HR},
        "hr_booking.book": {HR},
        "hr_booking.reschedule": {HR},
        "hr_booking.cancel": {HR},
    }
)

# --- group documents (each area keeps its own block) ---
RULES.update(
    {
        **{
            f"hr_group_documents.{name}": {HR}
            for name in ("documents", "request", "status", "retry", "download", "preview", "release")
        },
        **{
            f"desk_group_documents.{name}": {ADMIN, SCHED}
            for name in ("documents", "request", "status", "retry", "download", "preview", "release")
        },
    }
)

# --- follow-ups and referrals (each area keeps its own block) ---
RULES.update(
    {
        **{
            f"care_followups.{name}": {CARE, ADMIN}
            for name in (
                "index",
                "bulk_assign",
                "detail",
                "take",
                "assign",
                "log_attempt",
                "close",
                "refer",
                "recheck_booking",
                "department",
            )
        },
        **{
            f"care_referrals.{name}": {CARE, ADMIN}
            for name in ("index", "report", "detail", "accept", "schedule", "complete", "decline", "letter")
        },
        **{f"care_settings.{name}": {ADMIN} for name in ("index", "save", "add_member", "remove_member")},
    }
)

# --- consents, campaigns, surveys, consultations (each area keeps its own block) ---
RULES.update(
    {
        "privacy.index": {CLIENT},
        "privacy.save": {CLIENT},
        "preferences.index": PUBLIC,
        "preferences.save": PUBLIC,
        "preferences.one_click_unsubscribe": PUBLIC,
        **{
            f"campaigns.{name}": {CARE, ADMIN}
            for name in ("index", "new", "edit", "preview", "detail", "send", "status")
        },
    }
)
RULES.update(
    {
        "surveys.survey": PUBLIC,
        "surveys.thanks": PUBLIC,
        "care_surveys.dashboard": {CARE, ADMIN},
        "consultations.my_list": {CLIENT},
        "consultations.new_request": {CLIENT},
        "consultations.my_cancel": {CLIENT},
        "care_consultations.list": {CARE, ADMIN},
        "care_consultations.detail": {CARE, ADMIN},
        "care_consultations.schedule": {CARE, ADMIN},
        "care_consultations.complete": {CARE, ADMIN},
        "care_consultations.cancel": {CARE, ADMIN},
        "exam_consultations.list": {DOC},
    }
)

# --- re-enrollment and management (each area keeps its own block) ---
RULES.update(
    {
        "management.dashboard": {ADMIN},
        "management.export": {ADMIN},
        "management.renewal_tasks": {ADMIN},
        "management.renewal_done": {ADMIN},
        "reenrollment.index": {CARE, ADMIN},
        "reenrollment.run": {CARE, ADMIN},
    }
)

# --- data rights (each area keeps its own block) ---
RULES.update(
    {
        **{
            f"privacy.{name}": {CLIENT}
            for name in ("request_export", "export_status", "export_download", "accesses", "correction", "deletion")
        },
        **{f"data_requests.{name}": {ADMIN} for name in ("queue", "detail", "complete", "refuse")},
    }
)


# --- account privacy: registration by emailed link, the idle-session keepalive (each area keeps its own block) ---
RULES.update({"auth.registration_sent": PUBLIC, "auth.confirm_registration": PUBLIC, "auth.keepalive": ANY})

# --- break the glass (tests/privacy/test_care_access.py covers the relationships themselves) ---
RULES.update(
    {
        "access_break_glass.open_record": {DOC, CHIEF, CARE, ADMIN},
        "break_glass.review_list": {ADMIN},
        "break_glass.review": {ADMIN},
    }
)


# --- money: cashier, invoices, statements (each area keeps its own block) ---
RULES.update(
    {
        **{
            f"desk_cashier.{name}": {SCHED, ADMIN}
            for name in (
                "search",
                "appointment",
                "pay",
                "receipt",
                "refund",
                "not_performed",
                "closing_page",
                "invoice_list",
                "issue_invoice",
                "reverse_invoice",
                "transfers",
                "statement",
                "draft_statement",
                "credit_rule",
                "issue_statement",
                "statement_payment",
            )
        },
        **{
            f"me_money.{name}": {CLIENT}
            for name in ("index", "appointment", "request_invoice", "pay_online", "receipt")
        },
        **{f"hr_money.{name}": {HR} for name in ("billing", "request_invoice")},
    }
)

# --- the exam floor: scan box, queue boards, guidance; the client's "where next" (each area keeps its own block) ---
RULES.update(
    {
        **{f"floor.{name}": {DOC, SCHED} for name in ("overview", "board", "guidance_screen", "client")},
        **{f"floor.{name}": {DOC} for name in ("scan", "scan_anywhere", "visit", "done")},
        **{f"me_exam_day.{name}": {CLIENT} for name in ("today", "card")},
    }
)

# --- integrations: the API is open to the network and authenticated by token, never by session (tests/api/);
# the admin registers the systems that use it (each area keeps its own block) ---
API_TOKEN_VIEWS = (
    "worklist_read",
    "results_create",
    "imaging_report_create",
    "appointments_list",
    "appointment_read",
    "appointment_create",
    "appointment_cancel",
    "clients_list",
    "client_read",
    "client_create",
    "reports_list",
    "report_read",
    "report_pdf_download",
)
RULES.update(
    {
        **{f"api_v1.{name}": PUBLIC for name in API_TOKEN_VIEWS + ("openapi_json", "docs")},
        **{
            f"integrations.{name}": {ADMIN}
            for name in ("index", "register", "detail", "update", "rotate", "revoke", "add_webhook", "remove_webhook")
        },
    }
)
# HL7 in (POST /api/v1/hl7) and FHIR out (/fhir): by token only, as the API (tests/interop/)
INTEROP_TOKEN_VIEWS = ("api_hl7.receive_hl7",) + tuple(
    f"fhir.{name}"
    for name in ("patient", "practitioner", "organization", "encounter", "encounter_everything", "observation")
    + ("diagnostic_report",)
)
RULES.update({name: PUBLIC for name in INTEROP_TOKEN_VIEWS})

# What an allowed GET answers when it is not a plain 200.
GET_STATUS = {
    # account privacy: the registration link's token names no registration (tests/accounts/test_accounts.py covers real ones)
    ("auth.confirm_registration", None): 400,
    # invitations: the token names no invitation (tests/groups/test_invitations.py covers real ones)
    ("invitations.landing", None): 404,
    # consents and campaigns: the token is forged and campaign_id names no campaign (tests/accounts/test_consents.py,
    # tests/care/test_campaigns_web.py cover real ones)
    ("preferences.index", None): 404,
    **{(f"campaigns.{name}", role): 404 for name in ("edit", "detail", "send", "status") for role in (CARE, ADMIN)},
    # contracts: the world's contract is active, so category forms (and HR's draft-only edit) go to its page
    ("contracts.category_new", ADMIN): 303,
    ("contracts.category_new", SCHED): 303,
    ("contracts.category_edit", ADMIN): 303,
    ("contracts.category_edit", SCHED): 303,
    ("hr_contracts.category_new", HR): 303,
    ("hr_contracts.category_edit", HR): 303,
    ("hr_contracts.edit", HR): 303,
    ("home.index", None): 302,
    ("auth.reset_password", None): 400,
    ("booking.waitlist_offer", CLIENT): 410,
    ("offer_links.open", None): 410,  # the token names no offer
    ("booking.confirm", CLIENT): 303,  # no slot chosen: back to choosing one
    # group booking: enrollment_id names no enrollment here (tests/groups/test_group_booking_web.py covers real ones)
    ("group_booking.book", CLIENT): 404,
    ("group_booking.confirm", CLIENT): 404,
    ("hr_booking.detail", HR): 404,
    ("catalog.index", ADMIN): 302,  # the catalog opens on its items
    ("daysheet.guide_sheet", SCHED): 303,  # a booked client: back to the day sheet, the guide sheet after check-in
    ("daysheet.guide_sheet", ADMIN): 303,
    ("daysheet.specimen_labels", SCHED): 303,  # a booked client: back to the day sheet, labels after check-in
    ("daysheet.specimen_labels", ADMIN): 303,
    ("catalog.item_row", ADMIN): 302,  # a row fragment asked for as a page: the item's page
    # report_id names no report here: allowed roles get the 404 (tests/exam/test_reports_access.py covers real ones)
    ("review.pdf_status", CHIEF): 404,
    ("review.amend", CHIEF): 404,
    ("reports.download", CLIENT): 404,
    # the world's physician has no care relationship with the booked (not yet checked-in) client: the
    # break-the-glass form (tests/privacy/test_care_access.py covers related and unrelated accounts)
    ("exam.result_form", DOC): 403,
    # and so the station conclusion box (a chief physician has the physicians' relationships: none here either)
    ("station_conclusions.conclusion", DOC): 403,
    ("station_conclusions.conclusion", CHIEF): 403,
    # a booked checkup is not in the review queue: the chief physician meets the break-the-glass form
    # (tests/exam/test_review_access.py covers the queue, a claim, a signature and breaking the glass)
    ("review.appointment", CHIEF): 403,
    ("report_files.download", DOC): 404,
    ("report_files.download", CHIEF): 404,
    ("report_files.download", CARE): 404,
    ("report_files.download", ADMIN): 404,
    # surveys and consultations: the token and consultation_id name nothing (their own tests cover real ones)
    ("surveys.survey", None): 404,
    ("care_consultations.detail", CARE): 404,
    ("care_consultations.detail", ADMIN): 404,
    # follow-ups and referrals: follow_up_id, referral_id and department_id name nothing here
    # (tests/care/test_followups_web.py and tests/care/test_referrals.py cover real ones)
    **{
        (f"care_followups.{name}", role): 404
        for name in ("detail", "recheck_booking", "department")
        for role in (CARE, ADMIN)
    },
    **{(f"care_referrals.{name}", role): 404 for name in ("detail", "letter") for role in (CARE, ADMIN)},
    # roster: import_id names no roster import (tests/groups/test_roster_web.py covers real ones)
    ("hr_roster.detail", HR): 404,
    ("hr_roster.status", HR): 404,
    # group documents: document_id names no document (tests/groups/test_group_documents.py covers real ones)
    # and release_number names no release of the summary
    ("hr_group_documents.status", HR): 404,
    ("hr_group_documents.download", HR): 404,
    ("hr_group_documents.release", HR): 404,
    **{
        (f"desk_group_documents.{name}", role): 404
        for name in ("status", "download", "release")
        for role in (ADMIN, SCHED)
    },
    # data rights: export_id and request_id name nothing (tests/privacy/test_data_rights_web.py covers real ones)
    ("privacy.export_status", CLIENT): 404,
    ("privacy.export_download", CLIENT): 404,
    # HR's employee exports: export_id names no export (tests/groups/test_employee_exports.py covers real ones)
    ("hr.export_status", HR): 404,
    ("hr.export_download", HR): 404,
    ("data_requests.detail", ADMIN): 404,
    # money: no receipt number given (tests/money/test_cashier_web.py covers real receipts)
    ("desk_cashier.receipt", SCHED): 404,
    ("desk_cashier.receipt", ADMIN): 404,
    ("me_money.receipt", CLIENT): 404,
    # integrations: a session is no API token (401), integration_id names no system here (tests/api/ cover real ones)
    **{(f"api_v1.{name}", None): 401 for name in API_TOKEN_VIEWS},
    **{(name, None): 401 for name in INTEROP_TOKEN_VIEWS},
    ("integrations.detail", ADMIN): 404,
}


def test_every_route_has_a_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(RULES) == set(), "routes without a permission rule"
    assert set(RULES) - endpoints == set(), "rules for routes that no longer exist"


@pytest.fixture
def world(app):
    """One account per role, and an object of every kind the URLs name."""
    center = Center()
    users = {role: factories.make_user(role, email=f"{role}@example.com") for role in ROLES if role}
    appointment = booking.book(Actor(), users[CLIENT].client_id, center.slot.id, "BASIC")
    org = factories.make_organization("Acme Test")
    item_range = factories.make_range(center.blood)
    # the HR account's organization has one active group contract with one category (contract areas share it)
    contract = factories.make_contract(users[HR].organization, status="active", categories=["All staff"])
    values = {
        "contract_id": contract.id,
        "category_id": contract.categories[0].id,
        "reservation_id": 999999,
        "enrollment_id": 999999,
        "import_id": 999999,
        "document_id": 999999,
        "release_number": 999999,
        "export_id": 999999,
        "request_id": 999999,
        "invoice_id": 999999,
        "statement_id": 999999,
        "consultation_id": 999999,
        "task_id": 999999,
        "access_id": 999999,
        "campaign_id": 999999,
        "follow_up_id": 999999,
        "referral_id": 999999,
        "department_id": 999999,
        "membership_id": 999999,
        "integration_id": 999999,
        "key": 999999,
        "endpoint_id": 999999,
        "user_id": users[DOC].id,
        "appointment_id": appointment.id,
        "code": "BASIC",
        "token": "no-such-token",
        "report_id": 999999,
        "department_code": "LAB",
        "alert_id": 999999,
        "conflict_id": 999999,
        "entry_id": 999999,
        "day": center.day.isoformat(),
        "slot_id": center.slot.id,
        "resource_day_id": center.ct_day.id,
        "item_id": center.blood.id,
        "range_id": item_range.id,
        "package_id": center.basic.id,
        "module_id": center.eye_module.id,
        "rule_id": 999999,
        "resource_id": center.ct.id,
        "client_id": users[CLIENT].client_id,
        "organization_id": org.id,
        "field": "code",
        "snippet_id": 999999,
        "kind": "csv",
        "filename": "css/app.css",
    }
    return users, values


def _urls(app, values):
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            args = {name: values[name] for name in rule.arguments}
            yield rule.endpoint, url_for(rule.endpoint, **args), rule.methods


def _expected_get(endpoint, role):
    rule = RULES[endpoint]
    if rule == PUBLIC:
        if role and endpoint in ("auth.login", "auth.register", "home.index"):
            return 302  # signed in: sent to one's home page
        return GET_STATUS.get((endpoint, None), 200)
    if role is None:
        return 302
    if rule == ANY or role in rule:
        return GET_STATUS.get((endpoint, role), 200)
    return 403


def http_as(app, users, role):
    """A test client signed in as the world's account of ``role`` (anonymous for None)."""
    http = app.test_client()
    if role:
        from tests.support.live_server import signed_in_cookie

        for name, value in signed_in_cookie(app, users[role]).items():
            http.set_cookie(name, value)
    return http


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_each_role_gets_exactly_what_its_rule_says(app, world, role):
    users, values = world
    http = http_as(app, users, role)
    problems = []
    for endpoint, url, methods in _urls(app, values):
        if endpoint in ("auth.logout",):
            continue
        if "GET" in methods:
            status = http.get(url).status_code
            expected = _expected_get(endpoint, role)
            if status != expected:
                problems.append(f"GET {url} as {role}: {status}, expected {expected}")
        elif "POST" in methods:
            status = http.post(url, data={}).status_code
            rule = RULES[endpoint]
            if rule != PUBLIC and role is None and status != 302:
                problems.append(f"POST {url} anonymous: {status}, expected 302 to login")
            elif rule not in (PUBLIC, ANY) and role and role not in rule and status != 403:
                problems.append(f"POST {url} as {role}: {status}, expected 403")
            elif status >= 500:
                problems.append(f"POST {url} as {role}: {status}")
    assert problems == []
