"""Every module that registers task handlers (``@tasks.handler``). ``create_app`` imports this one, so
the web processes, the workers and the CLI share one complete registry; ``tasks.defer`` refuses a kind
no module registered, and tests/test_task_registry.py checks every kind named in the code."""
from checkup.services.mail import booking_mail
from checkup.services.care import campaigns
from checkup.services.care import consultations
from checkup.services.groups import contract_reservations
from checkup.services.groups import group_documents
from checkup.services.groups import invitations
from checkup.services.mail import messages
from checkup.services.mail import notifications
from checkup.services.care import reenrollment
from checkup.services.care import renewals
from checkup.services.exam import report_pdf
from checkup.services.groups.roster import roster
from checkup.services.groups import summary_releases
from checkup.services.care import surveys
from checkup.services.booking import waitlist
from checkup.services.privacy import anonymization  # noqa: F401
from checkup.services.privacy import data_export
from checkup.services.privacy import data_rights
