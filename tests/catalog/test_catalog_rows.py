"""The catalog's rows printed in Python (blueprints/admin/catalog_rows.py) are the markup the templates printed,
byte for byte, in English and Chinese: the package and module forms' item checkboxes as their ``item_groups``
macro printed them (several departments, checked and unchecked, inactive items, every sex: the module form's
note, the package form shows none; markup in every text; no items at all), and the item list's rows as
catalog/_item_rows.html's macro printed them (active and inactive, every result type and an unknown one, no
resource, markup in every text, no rows)."""

import pytest
from flask import render_template_string
from flask_babel import force_locale

from checkup.blueprints.admin.catalog_rows import department_options, item_groups, item_rows
from checkup.services.catalog.catalog import ItemListRow, NamedRow
from checkup.services.catalog.catalog_packages import ItemChoice

# templates/catalog/module_form.html's macro as it was before the checkboxes moved to Python (the package
# form's was the same without the sex note)
OLD_MODULE_MACRO = """{% macro item_groups(groups, selected) %}
{%- set sex_labels = {'male': choice_label('sex', 'male')|string, 'female': choice_label('sex', 'female')|string} %}
{%- set inactive_text = _("inactive") %}
    {% for department_name, dept_items in groups %}
    <fieldset class="item-group">
      <legend>{{ department_name }}</legend>
      {% for item in dept_items %}
      <label for="items-{{ item.id }}">
        <input type="checkbox" id="items-{{ item.id }}" name="items" value="{{ item.id }}" {% if item.id in selected %}checked{% endif %}>
        {{ item.code }} · {{ item.name }} <span class="muted">({{ item.price }}{% if item.sex != 'any' %}, {{ sex_labels[item.sex] if item.sex in sex_labels else choice_label('sex', item.sex) }}{% endif %}{% if not item.active %}, {{ inactive_text }}{% endif %})</span>
      </label>
      {% endfor %}
    </fieldset>
    {% else %}
    <p>{{ _("There are no active exam items yet.") }} <a href="{{ url_for('catalog.item_new') }}">{{ _("Add an item") }}</a></p>
    {% endfor %}
{%- endmacro %}
<x>
    {{- item_groups(groups, selected) }}
</x>"""
OLD_PACKAGE_MACRO = """{% macro item_groups(groups, selected) %}
{%- set inactive_text = _("inactive") %}
    {% for department_name, dept_items in groups %}
    <fieldset class="item-group">
      <legend>{{ department_name }}</legend>
      {% for item in dept_items %}
      <label for="items-{{ item.id }}">
        <input type="checkbox" id="items-{{ item.id }}" name="items" value="{{ item.id }}" {% if item.id in selected %}checked{% endif %}>
        {{ item.code }} · {{ item.name }} <span class="muted">({{ item.price }}{% if not item.active %}, {{ inactive_text }}{% endif %})</span>
      </label>
      {% endfor %}
    </fieldset>
    {% else %}
    <p>{{ _("There are no active exam items yet.") }} <a href="{{ url_for('catalog.item_new') }}">{{ _("Add an item") }}</a></p>
    {% endfor %}
{%- endmacro %}
<x>
    {{- item_groups(groups, selected) }}
</x>"""
NEW = """
<x>
    {{- item_checkboxes }}
</x>"""


def _groups():
    return [
        (
            "Lab <&>",
            [
                ItemChoice(1, "GLU", "Fasting glucose", "25.50", "any", True),
                ItemChoice(2, "PSA", "PSA <i>", "80.00", "male", True),
                ItemChoice(3, "OLD&", 'Retired "test"', "1.00", "female", False),
            ],
        ),
        (
            "影像科",
            [
                ItemChoice(14, "CT1", "胸部CT", "380.00", "other<b>", True),
                ItemChoice(15, "X", "", "", None, False),
            ],
        ),
    ]


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize(
    ("old", "with_sex"), [(OLD_MODULE_MACRO, True), (OLD_PACKAGE_MACRO, False)], ids=["module", "package"]
)
def test_checkboxes_as_the_macro_printed_them(app, language, old, with_sex):
    groups, selected = _groups(), {2, 3, 15, 99}
    with app.test_request_context("/"), force_locale(language):
        before = render_template_string(old, groups=groups, selected=selected)
        after = render_template_string(NEW, item_checkboxes=item_groups(groups, selected, with_sex=with_sex))
    assert after == before
    assert "Lab &lt;&amp;&gt;" in after and 'value="2" checked>' in after and 'value="1" >' in after


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("with_sex", [True, False])
def test_no_items_as_the_macro_printed_it(app, language, with_sex):
    old = OLD_MODULE_MACRO if with_sex else OLD_PACKAGE_MACRO
    with app.test_request_context("/"), force_locale(language):
        before = render_template_string(old, groups=[], selected=set())
        after = render_template_string(NEW, item_checkboxes=item_groups([], set(), with_sex=with_sex))
    assert after == before
    assert "<p>" in after


# templates/catalog/_item_rows.html as it was before the rows moved to Python
OLD_ITEM_ROWS = """{%- set some_id = 987654321 %}
{%- set item_links = {
  'detail': url_for('catalog.item_detail', item_id=some_id)|replace('%', '%%')|replace(some_id|string, '%d'),
  'edit': url_for('catalog.item_edit', item_id=some_id)|replace('%', '%%')|replace(some_id|string, '%d'),
  'row_form': url_for('catalog.item_row_form', item_id=some_id)|replace('%', '%%')|replace(some_id|string, '%d'),
} %}
{%- set result_type_labels = {} %}
{%- for code in ('numeric', 'text', 'choice') %}{% set _unused = result_type_labels.update({code: choice_label('result_type', code)|string}) %}{% endfor %}
{%- set item_text = {'active': _("Active"), 'inactive': _("Inactive"), 'edit': _("Edit")} %}
{%- macro item_rows(items) %}
{%- for item in items %}
<tr id="item-{{ item.id }}">
  <td>{{ item.code }}</td>
  <td><a href="{{ item_links.detail % item.id }}">{{ item.name }}</a></td>
  <td>{{ item.department }}</td>
  <td>{{ item.unit }}</td>
  <td>{{ result_type_labels[item.result_type] if item.result_type in result_type_labels else choice_label('result_type', item.result_type) }}</td>
  <td class="num">{{ item.price }}</td>
  <td>{{ item.resource }}</td>
  <td>{% if item.active %}{{ item_text.active }}{% else %}<span class="badge cancelled">{{ item_text.inactive }}</span>{% endif %}</td>
  <td><a href="{{ item_links.edit % item.id }}"
         hx-get="{{ item_links.row_form % item.id }}" hx-target="closest tr" hx-swap="outerHTML">{{ item_text.edit }}<span class="visually-hidden"> {{ item.code }}</span></a></td>
</tr>
{% else %}
<tr><td colspan="9">{{ _("No item matches.") }}</td></tr>
{% endfor %}
{%- endmacro %}
{{- item_rows(items) }}"""


def _item_rows():
    return [
        ItemListRow(1, "GLU", "Fasting glucose", "Lab <&>", "mmol/L", "numeric", "25.50", "", True),
        ItemListRow(2, "US<1>", '超声 "腹部"', "影像科", "", "text", "380.00", "CT <scanner>", False),
        ItemListRow(3, "URI&", "Urine", "Lab", "", "choice", "0.00", "", True),
        ItemListRow(4, "ODD", "Odd", "Lab", "x", "odd<type>", "1.00", "", False),
        # the same department, unit and type as rows before them, with another resource or state (parts kept per page)
        ItemListRow(5, "URI2", "Urine 2", "Lab", "", "choice", "2.00", "CT <scanner>", False),
        ItemListRow(6, "GLU2", "Glucose 2", "Lab <&>", "mmol/L", "numeric", "3.00", "", True),
        ItemListRow(7, "GLU3", "Glucose 3", "Lab <&>", "mmol/L", "numeric", "3.00", "CT <scanner>", True),
    ]


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("count", [7, 4, 1, 0])
def test_item_rows_as_the_template_printed_them(app, language, count):
    rows = _item_rows()[:count]
    with app.test_request_context("/"), force_locale(language):
        before = render_template_string(OLD_ITEM_ROWS, items=rows)
        after = render_template_string("{{- item_rows_html }}", item_rows_html=item_rows(rows))
    assert after == before
    assert ("&lt;scanner&gt;" in after) if count > 1 else ("<tr" in after)


# templates/catalog/items.html's department filter as it was before its options moved to Python
OLD_DEPARTMENT_OPTIONS = """<option value="">{{ _("All departments") }}</option>
    {% for d in departments %}<option value="{{ d.id }}" {% if department == d.id %}selected{% endif %}>{{ localized(d) }}</option>{% endfor %}
  </select>"""
NEW_DEPARTMENT_OPTIONS = """<option value="">{{ _("All departments") }}</option>
    {#- printed in Python (blueprints/admin/catalog_rows.department_options), read only for the whole page #}
    {{ department_options() }}
  </select>"""


def _departments():
    return [
        NamedRow(3, "LAB", "Lab <&>", "检验科"),
        NamedRow(1, "US", 'Ultrasound "B"', ""),
        NamedRow(12, "X", "X-ray", "放射 <科>"),
    ]


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("department", [None, 3, 12, 999])
@pytest.mark.parametrize("count", [3, 0])
def test_department_options_as_the_template_printed_them(app, language, department, count):
    departments = _departments()[:count]
    with app.test_request_context("/"), force_locale(language):
        before = render_template_string(OLD_DEPARTMENT_OPTIONS, departments=departments, department=department)
        after = render_template_string(
            NEW_DEPARTMENT_OPTIONS,
            department_options=lambda: department_options(departments, department, language == "zh"),
        )
    assert after == before
    assert ("selected>" in after) == (department in (3, 12) and count > 0)


def test_item_rows_kept_per_language_and_printed_again_when_a_row_changes(app):
    """Rows are kept per process (catalog_rows._KEPT_ROWS): asked again in the other language, or after an item
    changed, each page is still what the template printed."""
    rows = _item_rows()
    changed = [rows[0]._replace(name="Glucose <new>", active=False), *rows[1:]]
    for language, shown in (("en", rows), ("zh", rows), ("en", rows), ("en", changed), ("zh", changed)):
        with app.test_request_context("/"), force_locale(language):
            before = render_template_string(OLD_ITEM_ROWS, items=shown)
            after = render_template_string("{{- item_rows_html }}", item_rows_html=item_rows(shown))
        assert after == before
