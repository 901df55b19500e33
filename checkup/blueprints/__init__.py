"""Every blueprint, one package per audience and URL prefix; the order here is the order they register.

/ /login /register /invite /survey /preferences -> public/   /me /account -> me/   /hr -> hr/
/desk /directory -> desk/   /exam -> exam/   /care -> care/   /admin -> admin/   /access -> access/
/api/v1 /fhir -> api/ (integrated systems: bearer tokens, no session)
"""

from checkup.blueprints.access import break_glass as access_break_glass
from checkup.blueprints.admin import (
    admin,
    admin_accounts,
    break_glass,
    care_rules,
    care_settings,
    catalog,
    catalog_modules,
    catalog_packages,
    catalog_stations,
    data_requests,
    integrations,
    management,
)
from checkup.blueprints.api import fhir
from checkup.blueprints.api import hl7 as api_hl7
from checkup.blueprints.api import v1 as api_v1
from checkup.blueprints.care import campaigns, care_followups, care_referrals, reenrollment
from checkup.blueprints.care import consultations as care_consultations
from checkup.blueprints.care import home as care_home
from checkup.blueprints.care import surveys as care_surveys
from checkup.blueprints.desk import capacity, cashier, contracts, daysheet, desk_booking, directory
from checkup.blueprints.desk import group_documents as desk_group_documents
from checkup.blueprints.desk import home as desk_home
from checkup.blueprints.exam import chief, exam, report_files, review, stations_floor
from checkup.blueprints.exam import consultations as exam_consultations
from checkup.blueprints.hr import group_documents as hr_group_documents
from checkup.blueprints.hr import hr, hr_booking, hr_contracts, hr_roster
from checkup.blueprints.hr import invoices as hr_invoices
from checkup.blueprints.me import account, booking, client, consultations, exam_day, group_booking, privacy, reports
from checkup.blueprints.me import invoices as me_invoices
from checkup.blueprints.public import auth, home, invitations, preferences, surveys

# catalog_packages, catalog_modules and catalog_stations add their views to catalog.bp (the admin's one
# catalog area)
_CATALOG_VIEWS = (catalog_packages, catalog_modules, catalog_stations)

BLUEPRINTS = [
    home.bp,
    auth.bp,
    account.bp,
    client.bp,
    hr.bp,
    desk_home.bp,
    exam.exam,
    exam.alerts,
    stations_floor.bp,
    exam_day.bp,
    care_home.bp,
    admin.bp,
    admin_accounts.bp,
    catalog.bp,
    directory.bp,
    booking.bp,
    booking.offer_links,
    capacity.bp,
    desk_booking.bp,
    daysheet.bp,
    review.bp,
    chief.bp,
    report_files.bp,
    reports.bp,
    care_rules.bp,
    management.bp,
    reenrollment.bp,
    contracts.bp,
    hr_contracts.bp,
    hr_roster.bp,
    invitations.bp,
    group_booking.bp,
    hr_booking.bp,
    privacy.bp,
    preferences.bp,
    campaigns.bp,
    surveys.bp,
    care_surveys.bp,
    consultations.bp,
    care_consultations.bp,
    exam_consultations.bp,
    hr_group_documents.bp,
    desk_group_documents.bp,
    care_followups.bp,
    care_referrals.bp,
    care_settings.bp,
    break_glass.bp,
    access_break_glass.bp,
    data_requests.bp,
    cashier.bp,
    me_invoices.bp,
    hr_invoices.bp,
    api_v1.bp,
    api_hl7.bp,
    fhir.bp,
    integrations.bp,
]
