"""Every module that registers task handlers (``@tasks.handler``) or receives domain events
(services/exam/events.py). ``create_app`` imports this one, so
the web processes, the workers and the CLI share one complete registry; ``tasks.defer`` refuses a kind
no module registered, and tests/core/test_task_queue.py checks every kind named in the code."""

from checkup.services.admin import daily_rollup
from checkup.services.booking import payment_holds, waitlist
from checkup.services.care import (
    campaigns,
    client_facts,
    consultations,
    followup_assignment,
    recheck,
    reenrollment,
    renewals,
    surveys,
)
from checkup.services.exam import events, report_pdf
from checkup.services.groups import (
    contract_reservations,
    employee_exports,
    group_documents,
    invitations,
    summary_releases,
)
from checkup.services.groups.roster import roster
from checkup.services.integrations import webhooks
from checkup.services.mail import booking_mail, messages, notifications
from checkup.services.money import hold_mail, ledger, outcomes, providers
from checkup.services.privacy import anonymization, data_export, data_rights

# imported for their @tasks.handler registrations
REGISTERING_MODULES = (
    daily_rollup,
    waitlist,
    payment_holds,
    ledger,  # also fills payment_holds.ON_BOOKED / ON_CANCELLED (charges, cancellation credits)
    providers,
    hold_mail,
    campaigns,
    client_facts,
    consultations,
    followup_assignment,
    recheck,
    reenrollment,
    renewals,
    surveys,
    report_pdf,
    contract_reservations,
    employee_exports,
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
    webhooks,
)

# Money sits below exam and may not import its events: its receivers are connected here, where both are known
# (a contract's credits for items not performed when a report is signed, its no-show charge when marked).
events.report_signed.connect(outcomes.on_report_signed)
events.appointment_no_show.connect(outcomes.on_no_show)
