"""Every module that registers task handlers (``@tasks.handler``). ``create_app`` imports this one, so
the web processes, the workers and the CLI share one complete registry; ``tasks.defer`` refuses a kind
no module registered, and tests/core/test_task_queue.py checks every kind named in the code."""
from checkup.services.booking import waitlist
from checkup.services.care import campaigns
from checkup.services.care import consultations
from checkup.services.care import reenrollment
from checkup.services.care import renewals
from checkup.services.care import surveys
from checkup.services.exam import report_pdf
from checkup.services.groups import contract_reservations
from checkup.services.groups import group_documents
from checkup.services.groups import invitations
from checkup.services.groups import summary_releases
from checkup.services.groups.roster import roster
from checkup.services.mail import booking_mail
from checkup.services.mail import messages
from checkup.services.mail import notifications
from checkup.services.privacy import anonymization
from checkup.services.privacy import data_export
from checkup.services.privacy import data_rights

# imported for their @tasks.handler registrations
REGISTERING_MODULES = (
    waitlist,
    campaigns,
    consultations,
    reenrollment,
    renewals,
    surveys,
    report_pdf,
    contract_reservations,
    group_documents,
    invitations,
    summary_releases,
    roster,
    booking_mail,
    messages,
    notifications,
    anonymization,
    data_export,
    data_rights,
)
