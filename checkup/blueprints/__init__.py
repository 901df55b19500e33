"""One blueprint per area; the order here is the order they register."""
from checkup.blueprints import (account, admin, admin_accounts, auth, booking, capacity, catalog, client,
                                desk_booking, directory, home, hr)
from checkup.blueprints.staff_homes import care, desk, exam

BLUEPRINTS = [home.bp, auth.bp, account.bp, client.bp, hr.bp, desk, exam, care, admin.bp,
              admin_accounts.bp, catalog.bp, directory.bp, booking.bp, capacity.bp, desk_booking.bp]
