"""Every module that registers task handlers (``@tasks.handler``). ``create_app`` imports this one, so
the web processes, the workers and the CLI share one complete registry; ``tasks.defer`` refuses a kind
no module registered, and tests/test_task_registry.py checks every kind named in the code."""
from checkup.services import (booking_mail, campaigns, consultations, contract_reservations,  # noqa: F401
                              group_documents, invitations, messages, notifications, reenrollment, renewals,
                              report_pdf, roster, summary_releases, surveys, waitlist)
from checkup.services import anonymization, data_export, data_rights  # noqa: F401
