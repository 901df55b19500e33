"""What the booking domain announces to the domains built on it (blinker signals, sent inside the
transaction that made the change, so a receiver's writes commit or roll back with it).

Integrations subscribe: services/integrations/webhooks.py owes the `appointment.booked` and
`appointment.cancelled` webhooks. Booking imports none of them; checkup/task_kinds.py imports them so every
process has its receivers connected.
"""

from blinker import Namespace

_signals = Namespace()

# sender: the appointment just booked; actor: who booked it
appointment_booked = _signals.signal("appointment-booked")
# sender: the appointment as read before it was cancelled; actor: who cancelled it (SYSTEM for an expired hold)
appointment_cancelled = _signals.signal("appointment-cancelled")
