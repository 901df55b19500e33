"""One blueprint per area; the order here is the order they register."""
from checkup.blueprints import (account, admin, admin_accounts, auth, booking, capacity, care_rules, catalog, client,
                                daysheet, desk_booking, directory, exam, home, hr, reports, review)
from checkup.blueprints.staff_homes import care, desk

BLUEPRINTS = [home.bp, auth.bp, account.bp, client.bp, hr.bp, desk, exam.exam, exam.alerts, care, admin.bp,
              admin_accounts.bp, catalog.bp, directory.bp, booking.bp, capacity.bp, desk_booking.bp,
              daysheet.bp, review.bp, reports.bp, care_rules.bp]
