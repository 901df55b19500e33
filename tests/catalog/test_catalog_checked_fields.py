"""The catalog forms' fields that check themselves (web/checked_fields.FieldChecks, the ``field_checks`` of the
catalog templates) print what the templates' ``vfield`` macro printed, byte for byte: every checked field of
the item, package, module and resource forms, new and edited, blank and sent back invalid, in English and
Chinese; and the item form page sent back with its errors is the page the old template printed."""

import pytest
from flask import render_template, render_template_string, url_for
from flask_babel import force_locale

from checkup.blueprints.admin import catalog as catalog_views
from checkup.forms.catalog import ItemForm, ModuleForm, PackageForm, ResourceForm
from checkup.web.checked_fields import FieldChecks
from tests import factories

pytestmark = pytest.mark.both_dbs

# templates/catalog/_macros.html's macro before it moved to Python
OLD_VFIELD = """{% macro vfield(f, endpoint, args={}, hint=None) %}
{{ form_field(f, hint, {
  'hx-post': url_for(endpoint, field=f.name, **args),
  'hx-trigger': 'change',
  'hx-target': '#' ~ f.id ~ '-field',
  'hx-swap': 'outerHTML',
  'hx-sync': 'closest form:abort'}) }}
{% endmacro %}"""

# templates/catalog/item_form.html as it was, the macro above in place of its import
OLD_ITEM_FORM = (
    """{% extends "base.html" %}
{#- fields print through form_field itself (what _forms.html's ``field`` macro calls: a macro call less a field) #}
"""
    + OLD_VFIELD
    + """
{% set title = _("Edit %(code)s", code=item.code) if item else _("New exam item") %}
{% set args = {'item_id': item.id} if item else {} %}
{% block title %}{{ title }}{% endblock %}
{% block content %}
{% include "catalog/_subnav.html" %}
<p>{% if item %}<a href="{{ url_for('catalog.item_detail', item_id=item.id) }}">← {{ localized(item) }}</a>{% else %}<a href="{{ url_for('catalog.items') }}">← {{ _("Exam items") }}</a>{% endif %}</p>
<h1>{{ title }}</h1>
{% if form.errors %}<p class="flash error" role="alert">{{ _("Please correct the fields marked below.") }}</p>{% endif %}
<form method="post" novalidate class="narrow">
  {{ form.csrf_token }}
  {{ vfield(form.code, 'catalog.item_validate', args) }}
  {{ vfield(form.name_en, 'catalog.item_validate', args) }}
  {{ vfield(form.name_zh, 'catalog.item_validate', args) }}
  {{ form_field(form.department) }}
  {{ vfield(form.unit, 'catalog.item_validate', args) }}
  {{ form_field(form.result_type) }}
  {{ vfield(form.choices, 'catalog.item_validate', args) }}
  {{ vfield(form.price, 'catalog.item_validate', args) }}
  {{ vfield(form.prep_note_en, 'catalog.item_validate', args) }}
  {{ vfield(form.prep_note_zh, 'catalog.item_validate', args) }}
  {{ form_field(form.resource) }}
  {{ form_field(form.container) }}
  {{ form_field(form.station) }}
  {{ form_field(form.fasting) }}
  <div class="grid">
    {{ form_field(form.sex) }}
    {{ form_field(form.age_min) }}
    {{ form_field(form.age_max) }}
  </div>
  {{ form_field(form.active) }}
  <button type="submit">{{ _("Save item") if item else _("Add item") }}</button>
</form>
{% endblock %}
"""
)

INVALID = {
    "code": "bad code <b>",
    "name_en": "",
    "name_zh": "空腹\u8840糖 & <i>",
    "unit": "u" * 300,
    "price": "-1,5",
    "prep_note_en": 'Fast "8" hours <script>',
    "daily_capacity": "many",
    "description_en": "d" * 5000,
    "sort_order": "x",
    "department": "",
}

FORMS = [
    (ItemForm, "catalog.item_validate", "item_id"),
    (PackageForm, "catalog.package_validate", "package_id"),
    (ModuleForm, "catalog.module_validate", "module_id"),
    (ResourceForm, "catalog.resource_validate", "resource_id"),
]


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("sent", [False, True], ids=["blank", "invalid"])
@pytest.mark.parametrize(("form_class", "endpoint", "id_name"), FORMS, ids=[f[0].__name__ for f in FORMS])
def test_checked_fields_print_what_the_macro_printed(app, language, sent, form_class, endpoint, id_name):
    old = app.jinja_env.from_string(OLD_VFIELD + "{{ vfield(f, endpoint, args) }}")
    new = app.jinja_env.from_string("{{ field_checks(endpoint, args)(f) }}")
    checked = 0
    request = {"method": "POST", "data": INVALID} if sent else {}
    with app.test_request_context("/", **request), force_locale(language):
        form = form_class() if sent else form_class(formdata=None)
        if sent:
            form.validate()
        for args in ({}, {id_name: 7}):
            checks = FieldChecks(endpoint, args)
            for field in form:
                if field.type == "CSRFTokenField":
                    continue
                context = {"f": field, "endpoint": endpoint, "args": args}
                assert new.render(context) == old.render(context), field.name
                assert checks.address(field.name) == url_for(endpoint, field=field.name, **args)
                checked += 1
    assert checked == 2 * len([f for f in form if f.type != "CSRFTokenField"])


def test_a_name_that_needs_quoting_gets_the_address_url_for_gives(app):
    with app.test_request_context("/"):
        checks = FieldChecks("catalog.item_validate", {"item_id": 3})
        for name in ("name_en", "item-3-price", "a b", "ü", "x/y", "100%"):
            assert checks.address(name) == url_for("catalog.item_validate", field=name, item_id=3)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_item_form_sent_back_with_errors_is_the_page_the_old_template_printed(app, admin, client, language):
    lab = factories.make_department("LAB", name_en="Lab <&>", name_zh="检验科")
    factories.make_resource("CT", name_en="CT scanner", name_zh="CT 机")
    item = factories.make_item("GLU", lab, name_zh="空腹血糖")
    sent = {**INVALID, "department": str(lab.id), "resource": "", "result_type": "numeric", "active": "y"}
    headers = {"Accept-Language": "zh-CN,zh;q=0.9" if language == "zh" else "en"}
    response = client.post(f"/admin/catalog/items/{item.id}/edit", data=sent, headers=headers)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in page and 'hx-post="/admin/catalog/items/%d/validate/code"' % item.id in page
    with app.test_request_context(f"/admin/catalog/items/{item.id}/edit", method="POST", data=sent, headers=headers):
        with force_locale(language):
            form = catalog_views._prepare_item_form(ItemForm(), item)
            form.validate()
            before = render_template_string(OLD_ITEM_FORM, form=form, item=item)
            after = render_template("catalog/item_form.html", form=form, item=item)
    assert after == before
    assert after.count("field-error") == before.count("field-error") >= 3
