"""Per-client facts kept on write (models/client_facts.py): the last completed checkup and the report in
force of the latest reported checkup, for segments and re-enrollment to look up instead of aggregating
every appointment.

A checkup becomes completed only when its report is signed (exam/reports.sign), and the report in force
changes only by signing or amending; both announce ``report_signed`` inside their transaction, and the
receiver here recomputes the client's facts in that same transaction. Publishing keeps the same report in
force; nothing un-completes a checkup (cancel and no-show apply to live appointments only; anonymizing and
retention blank or purge content, not the checkup). Code that writes checkups straight to the tables (the
demo, a bulk loader, tests) calls ``refresh`` or ``rebuild_all`` afterwards.

The re-enrollment cycle columns belong to services/care/reenrollment.py (written with the invitation).
"""

from peewee import EXCLUDED, JOIN, Case, fn

from checkup.models import Appointment, Client, ClientFacts, Report
from checkup.models.appointments import COMPLETED
from checkup.models.base import db
from checkup.services.care import reenrollment
from checkup.services.exam import events
from checkup.services.exam.report_review import CURRENT_SIGNED


def _last_exams(client_ids):
    """(client_id, day, appointment_id) of each client's latest completed checkup (by day, then id)."""
    ranked = Appointment.select(
        Appointment.client.alias("client_id"),
        Appointment.day.alias("day"),
        Appointment.id.alias("appointment_id"),
        fn.ROW_NUMBER()
        .over(partition_by=[Appointment.client], order_by=[Appointment.day.desc(), Appointment.id.desc()])
        .alias("n"),
    ).where(Appointment.status == COMPLETED)
    if client_ids is not None:
        ranked = ranked.where(Appointment.client.in_(client_ids))
    ranked = ranked.alias("ranked_exams")
    return ranked.select_from(ranked.c.client_id, ranked.c.day, ranked.c.appointment_id).where(ranked.c.n == 1)


def _latest_reports(client_ids):
    """(client_id, report_id): the version in force of the report of each client's latest reported checkup."""
    ranked = (
        Report.select(
            Appointment.client.alias("client_id"),
            Report.id.alias("report_id"),
            fn.ROW_NUMBER()
            .over(
                partition_by=[Appointment.client],
                order_by=[Appointment.day.desc(), Appointment.id.desc(), Report.version.desc()],
            )
            .alias("n"),
        )
        .join(Appointment, on=(Appointment.id == Report.appointment))
        .where(Report.status.in_(CURRENT_SIGNED))
    )
    if client_ids is not None:
        ranked = ranked.where(Appointment.client.in_(client_ids))
    ranked = ranked.alias("ranked_reports")
    return ranked.select_from(ranked.c.client_id, ranked.c.report_id).where(ranked.c.n == 1)


def _recompute(client_ids=None):
    """One INSERT … SELECT … ON CONFLICT: the facts of ``client_ids`` (None: every client) from the rows.
    A client with a row but nothing left to say (its facts went away) gets NULLs. The invitation columns
    are left alone, but a new last checkup is a new re-enrollment cycle: not reviewed yet."""
    exams = _last_exams(client_ids).alias("exams")
    reports = _latest_reports(client_ids).alias("reports")
    has_row = ClientFacts.select(ClientFacts.client).where(ClientFacts.client == Client.id)
    source = (
        Client.select(Client.id, exams.c.day, exams.c.appointment_id, reports.c.report_id, exams.c.day)
        .join(exams, JOIN.LEFT_OUTER, on=(exams.c.client_id == Client.id))
        .join_from(Client, reports, JOIN.LEFT_OUTER, on=(reports.c.client_id == Client.id))
        .where(exams.c.client_id.is_null(False) | reports.c.client_id.is_null(False) | fn.EXISTS(has_row))
    )
    if client_ids is not None:
        source = source.where(Client.id.in_(client_ids))
    same_cycle = ClientFacts.last_exam_day == EXCLUDED.last_exam_day
    return (
        ClientFacts.insert_from(
            source,
            [
                ClientFacts.client,
                ClientFacts.last_exam_day,
                ClientFacts.last_exam_appointment,
                ClientFacts.latest_report,
                ClientFacts.unreviewed_day,
            ],
        )
        .on_conflict(
            conflict_target=[ClientFacts.client],
            update={
                ClientFacts.last_exam_day: EXCLUDED.last_exam_day,
                ClientFacts.last_exam_appointment: EXCLUDED.last_exam_appointment_id,
                ClientFacts.latest_report: EXCLUDED.latest_report_id,
                ClientFacts.unreviewed_day: Case(
                    None, [(same_cycle, ClientFacts.unreviewed_day)], EXCLUDED.last_exam_day
                ),
            },
        )
        .returning()
        .as_rowcount()
        .execute()
    )


def refresh(client_ids):
    """Recompute the facts of these clients from their appointments and reports (in the caller's transaction)."""
    ids = sorted({int(i) for i in client_ids})
    if not ids:
        return
    with db.atomic():
        # the row first, and locked: a concurrent signing for the same client commits before we read
        ClientFacts.insert_many([{"client": i} for i in ids]).on_conflict_ignore().execute()
        ClientFacts.update(last_exam_day=ClientFacts.last_exam_day).where(ClientFacts.client.in_(ids)).execute()
        _recompute(ids)


@events.report_signed.connect
def _report_signed(report, actor):
    """Signing completes the checkup and makes its report the one in force; an amendment replaces it."""
    client_id = Appointment.select(Appointment.client).where(Appointment.id == report.appointment_id).scalar()
    if client_id is not None:
        refresh([client_id])


def rebuild_all():
    """Every client's facts from the rows, set-based (a few statements, no per-client Python): for a bulk
    loader after it wrote appointments, reports and messages straight to the tables. Returns the number of
    rows written."""
    with db.atomic():
        written = _recompute()
        reenrollment.rebuild_invitation_state()
    return written
