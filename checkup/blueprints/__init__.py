"""One blueprint per area; the order here is the order they register."""
from checkup.blueprints import (account, admin, admin_accounts, auth, booking, capacity, care_rules, catalog, client,
                                daysheet, desk_booking, directory, exam, home, hr, reports, review)
from checkup.blueprints import management
from checkup.blueprints import contracts, hr_contracts
from checkup.blueprints import hr_roster
from checkup.blueprints import invitations
from checkup.blueprints import group_booking, hr_booking
from checkup.blueprints import campaigns, privacy
from checkup.blueprints import consultations, surveys
from checkup.blueprints import group_documents
from checkup.blueprints import care_followups, care_referrals, care_settings
from checkup.blueprints import break_glass
from checkup.blueprints import data_requests
from checkup.blueprints.staff_homes import care, desk

BLUEPRINTS = [home.bp, auth.bp, account.bp, client.bp, hr.bp, desk, exam.exam, exam.alerts, care, admin.bp,
              admin_accounts.bp, catalog.bp, directory.bp, booking.bp, booking.offer_links, capacity.bp,
              desk_booking.bp,
              daysheet.bp, review.bp, reports.bp, care_rules.bp, management.bp, management.care,
              contracts.bp, hr_contracts.bp, hr_roster.bp, invitations.bp, group_booking.bp, hr_booking.bp,
              privacy.bp, campaigns.bp,
              surveys.bp, consultations.bp, group_documents.bp,
              care_followups.bp, care_referrals.bp, care_settings.bp, break_glass.bp, data_requests.bp]
