"""The referral list's rows printed in Python (blueprints/care/referrals_rows.py) are the markup the loop of
templates/care/_referrals_results.html printed, byte for byte: our departments with and without a Chinese
name, external hospitals with and without a department, every status (and one outside the list), no creator,
markup in every text; the empty list's row; in English and Chinese; and the rows the list reads from the
database print what the old loop printed of the same referrals read as model objects."""

import datetime
from types import SimpleNamespace

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.care.referrals_rows import referral_rows
from checkup.services.care import followups, referrals
from checkup.services.care.referrals import ListedReferral
from tests.care.test_referrals import refer, world  # noqa: F401  (the fixture)

# the loop as it was before the rows moved to Python (from the <tbody> to the </tbody>)
OLD_LOOP = """  <tbody>
  {% for r in result.items %}
  <tr>
    <td><a href="{{ url_for('care_referrals.detail', referral_id=r.id) }}">R{{ '%06d'|format(r.id) }}</a></td>
    <td>{{ r.client.name }}</td>
    <td>{{ target_text(r) }}</td>
    <td>{{ care_label('referral_status', r.status) }}</td>
    <td>{{ r.proposed_at|center_time }}</td>
    <td>{{ r.creator.name if r.created_by_id and r.creator else '—' }}</td>
  </tr>
  {% else %}
  <tr><td colspan="6">{{ _("No referral matches these filters.") }}</td></tr>
  {% endfor %}
  </tbody>"""
NEW_LOOP = """  <tbody>
  {{ rows }}
  </tbody>"""


def _listed():
    at = datetime.datetime(2026, 12, 7, 8, 30)
    rows = []

    def row(kind="internal", department=(3, "Surgery <&>", "外科"), hospital="", ward="", status="proposed", by=None):
        department_id, name_en, name_zh = department or (None, None, None)
        creator_id, creator_name = by if by else (None, None)
        rows.append(
            ListedReferral(
                len(rows) + 1,
                f'Wang <b>"{len(rows)}"</b> & co',
                kind,
                department_id,
                name_en,
                name_zh,
                hospital,
                ward,
                status,
                at + datetime.timedelta(days=len(rows), minutes=7 * len(rows)),
                creator_id,
                creator_id,
                creator_name,
            )
        )

    row(by=(7, "Li <i>Na</i>"))
    row(department=(4, "Internal medicine", ""), status="accepted", by=(8, "Zhou"))
    row(department=None, status="scheduled")
    row("external", None, "北京协和医院 <x>", "内分泌科", "completed", by=(7, "Li <i>Na</i>"))
    row("external", None, "Hospital & co", "", "declined")
    row("external", None, "", "Ward <9>", "odd <status>", by=(9, ""))
    return rows


def _as_models(rows):
    """The same referrals as the old loop read them: a referral with its client, department and creator."""
    models = []
    for r in rows:
        department = SimpleNamespace(name_en=r.department_name_en, name_zh=r.department_name_zh)
        models.append(
            SimpleNamespace(
                id=r.id,
                client=SimpleNamespace(name=r.client_name),
                target_kind=r.target_kind,
                department_id=r.department_id,
                department=department if r.department_id else None,
                hospital=r.hospital,
                hospital_department=r.hospital_department,
                status=r.status,
                proposed_at=r.proposed_at,
                created_by_id=r.created_by_id,
                creator=SimpleNamespace(name=r.creator_name) if r.creator_id is not None else None,
            )
        )
    return models


def _old(items):
    context = {"care_label": followups.label, "target_text": referrals.target_text}
    return render_template_string(OLD_LOOP, result=SimpleNamespace(items=items), **context)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_rows_as_the_template_printed_them(app, language):
    rows = _listed()
    with app.test_request_context("/care/referrals"), force_locale(language):
        old = _old(_as_models(rows))
        new = render_template_string(NEW_LOOP, rows=referral_rows(rows))
        empty_old, empty_new = _old([]), render_template_string(NEW_LOOP, rows=referral_rows([]))
    assert new == old and empty_new == empty_old
    assert new.count("<tr>") == len(rows) and 'href="/care/referrals/6">R000006<' in new
    assert "&lt;b&gt;" in new and "odd &lt;status&gt;" in new and 'colspan="6"' in empty_new
    assert ("外科" in new) and ("已完成" in new if language == "zh" else "Completed" in new)


@pytest.mark.both_dbs
def test_the_listed_rows_print_what_the_models_printed(app, world):  # noqa: F811
    refer(world)
    refer(world, target_kind="external", department_id=None, hospital="协和 <医院>", hospital_department="内科")
    refer(world, target_kind="external", department_id=None, hospital="Hospital & co")
    page = referrals.referral_list(world.as_(world.admin), referrals.ListFilters())
    assert page.total == 3 and all(isinstance(row, ListedReferral) for row in page.items)
    models = list(referrals._select().order_by(referrals.Referral.proposed_at.desc(), referrals.Referral.id.desc()))
    for language in ("en", "zh"):
        with app.test_request_context("/care/referrals"), force_locale(language):
            old = _old(models)
            new = render_template_string(NEW_LOOP, rows=referral_rows(page.items))
        assert new == old and new.count("<tr>") == 3
    past_end = referrals.referral_list(world.as_(world.admin), referrals.ListFilters(page=4))
    assert past_end.number == 1 and [row.id for row in past_end.items] == [row.id for row in page.items]
