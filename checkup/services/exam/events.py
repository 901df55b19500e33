"""What the exam domain announces to the domains built on it (blinker signals, sent inside the
transaction that made the change, so a receiver's writes commit or roll back with it).

Post-checkup care subscribes: services/care/followup_assignment.py places each new follow-up,
services/care/recheck.py closes the follow-ups a normal re-check answers, services/care/surveys.py owes
the satisfaction survey. The exam domain imports none of them; checkup/task_kinds.py imports them so
every process has its receivers connected. Money, below exam, cannot import this module: task_kinds.py
connects its receivers (services/money/outcomes.py: a contract's credits and no-show charge).
"""

from blinker import Namespace

_signals = Namespace()

# sender: the new follow-up's id; item_ids: the exam items whose findings opened it
follow_up_opened = _signals.signal("follow-up-opened")
# sender: the report just signed (a first version or an amendment); actor: who signed it
report_signed = _signals.signal("report-signed")
# sender: the id of the report that just became published (first publication only)
report_published = _signals.signal("report-published")
# sender: the appointment just checked in (as read before the change); actor: who checked it in
appointment_checked_in = _signals.signal("appointment-checked-in")
# sender: the critical-value alert just opened; result: its result; appointment: the checkup
critical_value_raised = _signals.signal("critical-value-raised")
# sender: the appointment just marked a no-show (as read before the change); actor: who marked it
appointment_no_show = _signals.signal("appointment-no-show")
