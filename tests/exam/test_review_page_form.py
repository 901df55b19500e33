"""The review page's GET (#16): the form's fields printed without a form (blueprints/exam/review_rows.
report_text_fields) are what ``{{ form.csrf_token }}`` and the ``field`` macro printed for a ReportTextForm
holding the same texts (empty, plain, markup, several lines, in English and Chinese, with CSRF on and off); the
results table printed around its rows once per language (results_table) is what the include printed; and the
page's reads (report_review._appointment_and_ties, _items and _reports_and_conclusions with ``page=True``) hold,
of the appointment, client, package, claim, each item, result, report and signer, the values of the full reads
for every field the page shows, on both databases."""

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.exam.review_rows import report_text_fields, results_rows, results_table
from checkup.core.errors import NotFound
from checkup.core.plain_models import field_names
from checkup.forms.review import ReportTextForm
from checkup.models import Appointment, Department, Report
from checkup.models.base import utcnow
from checkup.services.exam import chief_review, report_review
from checkup.services.exam.report_review import PageConclusion, PageDepartment, PageItem, PageResult
from tests.exam.test_review_rows import _rows
from tests.report_helpers import ReportWorld

# templates/review/appointment.html's form fields as they were printed before
OLD_FIELDS = """{% from "_forms.html" import field %}
    {{ form.csrf_token }}
    {{ field(form.summary) }}
    {{ field(form.advice) }}
    {{ field(form.observations) }}
"""
NEW_FIELDS = """
    {{ fields }}
"""
TEXTS = [
    ("", "", ""),
    ("1. Fatty liver.", "1. Less fat.\n2. Walk daily.", "B: LDL high"),
    ("<b>bold</b> & 'quoted' \"too\"", "\r\nfirst line blank", "A: 危急\nC：复查"),
    (None, None, None),
]


@pytest.mark.parametrize("csrf", [True, False])
@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("texts", TEXTS)
def test_fields_as_the_form_printed_them(app, language, texts, csrf):
    summary, advice, observations = texts
    app.config["WTF_CSRF_ENABLED"] = csrf  # the tests' app turns it off; the center's has it on
    with app.test_request_context("/"), force_locale(language):
        form = ReportTextForm(data={"summary": summary, "advice": advice, "observations": observations})
        old = render_template_string(OLD_FIELDS, form=form)
        new = render_template_string(NEW_FIELDS, fields=report_text_fields(summary, advice, observations))
        again = render_template_string(NEW_FIELDS, fields=report_text_fields(summary, advice, observations))
    assert new == old == again
    assert ('name="csrf_token"' in new) == csrf and "<textarea" in new


def test_fields_follow_the_language_of_each_request(app):
    printed = {}
    for language in ("en", "zh", "en"):
        with app.test_request_context("/"), force_locale(language):
            form = ReportTextForm(data={"summary": "s", "advice": "a", "observations": "o"})
            old = render_template_string(OLD_FIELDS, form=form)
            new = render_template_string(NEW_FIELDS, fields=report_text_fields("s", "a", "o"))
        assert new == old
        printed[language] = new
    assert printed["en"] != printed["zh"]


@pytest.mark.both_dbs
def test_the_page_read_holds_what_the_page_shows(app):
    world = ReportWorld()
    world.result(world.glu, 6.5, flag="H", high=6.1)
    world.result(world.liver, value_text="脂肪肝", flag="A")
    appointment_id = world.appointment.id
    full, page = report_review._items(appointment_id), report_review._items(appointment_id, page=True)
    assert len(page) == len(full) == 4
    for (item, result), (page_item, page_result) in zip(full, page, strict=True):
        # named tuples of the models' fields (a foreign key by its ``_id`` name), the item with its department
        assert page_item == (*(getattr(item, name) for name in PageItem._fields[:-1]), page_item.department)
        assert len(PageItem._fields) == len(report_review._PAGE_ITEM_NAMES) + 1
        assert page_item.department == tuple(getattr(item.department, name) for name in PageDepartment._fields)
        assert PageDepartment._fields == field_names(Department)
        if result is None:
            assert page_result is None
        else:
            assert page_result == tuple(getattr(result, name) for name in PageResult._fields)
            assert len(PageResult._fields) == len(report_review._PAGE_RESULT_NAMES)


def _pairs(reports, conclusions, report_names=None, user_names=None):
    """Reports and conclusions with their signers as dicts, keeping only ``report_names`` and ``user_names``."""

    def kept(data, names):
        return {name: data[name] for name in names} if names else data

    return (
        [
            (kept(r.__data__, report_names), kept(r.signed_by.__data__, user_names) if r.signed_by_id else None)
            for r in reports
        ],
        {
            key: (c.__data__, kept(c.signed_by.__data__, user_names) if c.signed_by_id else None)
            for key, c in conclusions.items()
        },
    )


@pytest.mark.both_dbs
def test_the_page_read_of_reports_and_conclusions_holds_what_the_page_shows(app, count_queries):
    world = ReportWorld()
    appointment_id = world.appointment.id
    assert report_review._reports_and_conclusions(appointment_id, page=True) == ([], {})
    world.all_results()
    world.sign_stations()
    chief = world.chief_user()
    for version, status, signer in ((1, "superseded", chief.id), (2, "published", chief.id), (3, "draft", None)):
        Report.create(
            appointment=appointment_id,
            version=version,
            status=status,
            summary=f"s{version}",
            advice="",
            results_snapshot='{"rows": []}',
            signed_by=signer,
            signed_at=utcnow() if signer else None,
        )
    with count_queries() as one:
        page = report_review._reports_and_conclusions(appointment_id, page=True)
    assert one.count == 1
    full = report_review._reports_and_conclusions(appointment_id)
    names = report_review._PAGE_REPORT_NAMES, report_review._PAGE_USER_NAMES
    assert _pairs(page[0], {}) == _pairs(full[0], {}, *names)
    # each conclusion a named tuple of the fields the page shows, with its signer's id and name
    assert page[1].keys() == full[1].keys() and page[1]
    for key, conclusion in full[1].items():
        signer = (conclusion.signed_by.id, conclusion.signed_by.name) if conclusion.signed_by_id else None
        fields = PageConclusion._fields[:-1]
        assert page[1][key] == (*(getattr(conclusion, name) for name in fields), signer)
        assert len(fields) == len(report_review._PAGE_CONCLUSION_NAMES)
    assert "results_snapshot" not in names[0] and [r.version for r in page[0]] == [3, 2, 1]
    assert page[0][1].signed_by.name == chief.name and page[1]


@pytest.mark.parametrize("language", ["en", "zh", "en"])
def test_results_table_as_the_include_printed_it(app, language):
    rows = _rows()
    with app.test_request_context("/"), force_locale(language):
        old = render_template_string(
            '<section>\n  {% include "review/_results_table.html" %}\n</section>', results_rows=results_rows(rows)
        )
        new = render_template_string("<section>\n  {{ table }}\n</section>", table=results_table(rows))
        empty = render_template_string('{% include "review/_results_table.html" %}', results_rows=results_rows([]))
        assert render_template_string("{{ table }}", table=results_table([])) == empty
    assert new == old and "<tbody>" in new and "<strong>" in new


def _kept(model, names):
    return {name: model.__data__[name] for name in names}


@pytest.mark.both_dbs
@pytest.mark.parametrize("with_package", [True, False])
def test_the_page_first_read_holds_what_the_page_shows(app, with_package):
    world = ReportWorld()
    world.all_results()
    world.sign_stations()
    chief = world.chief_user()
    appointment_id = world.appointment.id
    if not with_package:
        Appointment.update(package=None).where(Appointment.id == appointment_id).execute()
    chief_review.save_draft(world.actor(chief), appointment_id, "草稿", "")
    full = report_review._appointment_and_ties(appointment_id, chief)
    page = report_review._appointment_and_ties(appointment_id, chief, page=True)
    appointment_names, client_names, package_names, user_names = report_review._PAGE_TIES_NAMES
    assert page[0].__data__ == _kept(full[0], appointment_names)
    assert page[0].client.__data__ == _kept(full[0].client, client_names)
    if with_package:
        assert page[0].package.__data__ == _kept(full[0].package, package_names)
    else:
        assert page[0].package is None and full[0].package is None
    assert page[1].__data__ == full[1].__data__ and page[1].chief.__data__ == _kept(full[1].chief, user_names)
    assert page[1].chief.name == chief.name and page[2:] == full[2:]
    with pytest.raises(NotFound):
        report_review._appointment_and_ties(2_000_000_000, chief, page=True)
