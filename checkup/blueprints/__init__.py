"""One blueprint per area; the order here is the order they register."""
from checkup.blueprints.me import account
from checkup.blueprints.admin import admin
from checkup.blueprints.admin import admin_accounts
from checkup.blueprints.public import auth
from checkup.blueprints.me import booking
from checkup.blueprints.desk import capacity
from checkup.blueprints.admin import care_rules
from checkup.blueprints.admin import catalog
from checkup.blueprints.me import client
from checkup.blueprints.desk import daysheet
from checkup.blueprints.desk import desk_booking
from checkup.blueprints.desk import directory
from checkup.blueprints.exam import exam
from checkup.blueprints.public import home
from checkup.blueprints.hr import hr
from checkup.blueprints.me import reports
from checkup.blueprints.exam import review
from checkup.blueprints.care import management
from checkup.blueprints.desk import contracts
from checkup.blueprints.hr import hr_contracts
from checkup.blueprints.hr import hr_roster
from checkup.blueprints.public import invitations
from checkup.blueprints.me import group_booking
from checkup.blueprints.hr import hr_booking
from checkup.blueprints.care import campaigns
from checkup.blueprints.public import privacy
from checkup.blueprints.me import consultations
from checkup.blueprints.public import surveys
from checkup.blueprints.hr import group_documents
from checkup.blueprints.care import care_followups
from checkup.blueprints.care import care_referrals
from checkup.blueprints.admin import care_settings
from checkup.blueprints.admin import break_glass
from checkup.blueprints.admin import data_requests
from checkup.blueprints.desk.staff_homes import care, desk

BLUEPRINTS = [home.bp, auth.bp, account.bp, client.bp, hr.bp, desk, exam.exam, exam.alerts, care, admin.bp,
              admin_accounts.bp, catalog.bp, directory.bp, booking.bp, booking.offer_links, capacity.bp,
              desk_booking.bp,
              daysheet.bp, review.bp, reports.bp, care_rules.bp, management.bp, management.care,
              contracts.bp, hr_contracts.bp, hr_roster.bp, invitations.bp, group_booking.bp, hr_booking.bp,
              privacy.bp, campaigns.bp,
              surveys.bp, consultations.bp, group_documents.bp,
              care_followups.bp, care_referrals.bp, care_settings.bp, break_glass.bp, data_requests.bp]
