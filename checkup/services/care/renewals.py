"""Contract renewal: a group contract approaching its anniversary opens a task for the account manager,
with last year's figures, so the company is called before its employees drift elsewhere."""

import datetime
import json
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from peewee import SQL, IntegrityError, fn

from checkup.core import audit, clock, tasks
from checkup.core.errors import NotFound, ValidationError
from checkup.core.plain_rows import plain_tuples
from checkup.core.prepared import PreparedSelect
from checkup.models import Appointment, Enrollment, GroupContract, Organization, RenewalTask
from checkup.models.appointments import COMPLETED, NO_SHOW
from checkup.models.base import db, utcnow

LEAD_DAYS = 60  # the task opens this long before the anniversary of the booking window's start


def anniversary(contract):
    start = contract.window_start
    try:
        return start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 1, day=28)


def figures(contract_id):
    """Last year's figures: enrolled, completed, no-shows, what the company paid for completed exams."""
    rows = (
        Enrollment.select(Appointment.status, fn.COUNT(Enrollment.id), fn.SUM(Appointment.company_amount))
        .join(Appointment, on=(Enrollment.appointment == Appointment.id))
        .where(Enrollment.contract == contract_id)
        .group_by(Appointment.status)
        .tuples()
    )
    by_status = {status: (count, amount) for status, count, amount in rows}
    enrolled = Enrollment.select().where(Enrollment.contract == contract_id).count()
    completed = by_status.get(COMPLETED, (0, 0))
    return {
        "enrolled": enrolled,
        "completed": completed[0],
        "no_show": by_status.get(NO_SHOW, (0, 0))[0],
        "company_amount": f"{float(completed[1] or 0):.2f}",
        "participation": round(100 * completed[0] / enrolled, 1) if enrolled else None,
    }


@tasks.handler("renewal.create_due_tasks")
def create_due_tasks(today=None):
    """Daily job: one task per contract whose anniversary is within LEAD_DAYS; returns how many opened."""
    today = today or clock.today()
    horizon = today + datetime.timedelta(days=LEAD_DAYS)
    opened = 0
    taken = RenewalTask.select(SQL("1")).where(RenewalTask.contract == GroupContract.id)
    contracts = (
        GroupContract.select(GroupContract, Organization)
        .join(Organization)
        .where(GroupContract.status.in_(("active", "closed")), ~fn.EXISTS(taken))
    )
    for contract in contracts:
        due = anniversary(contract)
        if not (today <= due <= horizon):
            continue
        try:
            with db.atomic():
                # call a month before the anniversary, or today when that is already past
                call_on = max(today, due - datetime.timedelta(days=30))
                RenewalTask.create(
                    contract=contract.id,
                    account_manager=contract.organization.account_manager,
                    due_on=call_on,
                    figures_json=json.dumps(figures(contract.id)),
                )
        except IntegrityError:  # a concurrent run opened it first
            continue
        opened += 1
    return opened


class RenewalRow(NamedTuple):
    """One renewal task as the list shows it, with its contract and company and last year's figures."""

    id: int
    account_manager: str
    due_on: datetime.date
    status: str
    note: str
    done_at: datetime.datetime | None
    contract_name: str
    contract_year: int
    organization_name: str
    figures: dict


def _task_list_query(status=None):
    query = (
        RenewalTask.select(
            RenewalTask.id,
            RenewalTask.account_manager,
            RenewalTask.due_on,
            RenewalTask.status,
            RenewalTask.note,
            RenewalTask.done_at,
            GroupContract.name,
            GroupContract.year,
            Organization.name,
            RenewalTask.figures_json,
        )
        .join(GroupContract)
        .join(Organization)
        .order_by(RenewalTask.due_on, RenewalTask.id)
    )
    return query if status is None else query.where(RenewalTask.status == status)


# the list of one status is built once per process
_TASKS_OF_STATUS = PreparedSelect(_task_list_query, "checkup_renewal_tasks_of_status")


def task_list(status="open"):
    """The renewal tasks (``RenewalRow``) of ``status`` (open, done; anything else: all), by due date."""
    rows = _TASKS_OF_STATUS.plain(status) if status in ("open", "done") else plain_tuples(_task_list_query())
    return [RenewalRow(*row[:-1], json.loads(row[-1] or "{}")) for row in rows]


def complete(actor, task_id, note):
    note = " ".join(str(note or "").split())[:1000]
    if not note:
        message = _l("Write what was agreed with the company.")
        raise ValidationError(message, {"note": message})
    updated = (
        RenewalTask.update(status="done", note=note, done_at=utcnow(), done_by=actor.user_id)
        .where(RenewalTask.id == task_id, RenewalTask.status == "open")
        .execute()
    )
    if not updated:
        raise NotFound(_l("This renewal task does not exist or is already done."))
    task = RenewalTask.get_by_id(task_id)
    audit.record(actor, "renewal.done", task, contract=task.contract_id)
    return task
