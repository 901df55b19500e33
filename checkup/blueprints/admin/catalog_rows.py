"""The package and add-on module forms' item checkboxes printed in Python (#16), byte for byte the markup the
forms' ``item_groups`` macro printed (templates/catalog/package_form.html and module_form.html): a catalog
holds a few hundred items, and the macro's loop cost a third of those pages. Values are escaped as the
template escaped them; labels are translated once per page; tests/catalog/test_catalog_rows.py renders the
old macro beside them."""

from flask import url_for
from flask_babel import gettext
from markupsafe import Markup, escape

from checkup.core.labels import choice_label
from checkup.web.html_text import escaped
from checkup.web.row_printing import address_pattern, translated


def item_groups(groups, selected, with_sex=False):
    """The checkboxes of ``groups`` ([(department's name, [ItemChoice])], services/catalog/catalog_packages
    .items_by_department), those in ``selected`` (ids) checked; ``with_sex``: the module form's note of an
    item's sex (a package has a sex of its own)."""
    if not groups:
        empty = translated(gettext("There are no active exam items yet."))
        add_item = translated(gettext("Add an item"))
        return Markup(
            f'\n    \n    <p>{empty} <a href="{escape(url_for("catalog.item_new"))}">{add_item}</a></p>\n    '
        )
    inactive_text = translated(gettext("inactive"))
    inactive = f", {inactive_text}"
    sex_notes = {}
    parts = ["\n    "]
    add = parts.append
    for department_name, dept_items in groups:
        add(f'\n    <fieldset class="item-group">\n      <legend>{escaped(department_name)}</legend>\n      ')
        for item in dept_items:
            item_id = escaped(item.id)
            checked = "checked" if item.id in selected else ""
            add(f'\n      <label for="items-{item_id}">\n        <input type="checkbox" id="items-{item_id}" ')
            add(f'name="items" value="{item_id}" {checked}>\n        {escaped(item.code)} · {escaped(item.name)} ')
            add(f'<span class="muted">({escaped(item.price)}')
            if with_sex and item.sex != "any":
                note = sex_notes.get(item.sex)
                if note is None:
                    note = sex_notes[item.sex] = f", {escape(str(choice_label('sex', item.sex)))}"
                add(note)
            if not item.active:
                add(inactive)
            add(")</span>\n      </label>\n      ")
        add("\n    </fieldset>\n    ")
    return Markup("".join(parts))


def item_rows(items):
    """The ``<tr>`` of each row of the catalog's item list (services/catalog/catalog ``ItemListRow``), as
    templates/catalog/_item_rows.html's macro printed them (the newlines between them included)."""
    if not items:
        no_match = translated(gettext("No item matches."))
        return Markup(f'\n<tr><td colspan="9">{no_match}</td></tr>\n')
    detail, edit, row_form = (
        address_pattern(endpoint, "item_id")
        for endpoint in ("catalog.item_detail", "catalog.item_edit", "catalog.item_row_form")
    )
    active_text = translated(gettext("Active"))
    inactive_label = translated(gettext("Inactive"))
    inactive_text = f'<span class="badge cancelled">{inactive_label}</span>'
    edit_text = translated(gettext("Edit"))
    type_labels = {}
    parts = []
    add = parts.append
    for item in items:
        item_id, code = item.id, escape(item.code)
        type_label = type_labels.get(item.result_type)
        if type_label is None:
            type_label = type_labels[item.result_type] = escape(str(choice_label("result_type", item.result_type)))
        add(f'\n<tr id="item-{escape(item_id)}">\n  <td>{code}</td>\n  <td><a href="{escape(detail % item_id)}">')
        add(f"{escape(item.name)}</a></td>\n  <td>{escape(item.department)}</td>\n  <td>{escape(item.unit)}</td>\n")
        add(
            f'  <td>{type_label}</td>\n  <td class="num">{escape(item.price)}</td>\n  <td>{escape(item.resource)}</td>\n'
        )
        add(f'  <td>{active_text if item.active else inactive_text}</td>\n  <td><a href="{escape(edit % item_id)}"\n')
        add(f'         hx-get="{escape(row_form % item_id)}" hx-target="closest tr" hx-swap="outerHTML">{edit_text}')
        add(f'<span class="visually-hidden"> {code}</span></a></td>\n</tr>\n')
    return Markup("".join(parts))
