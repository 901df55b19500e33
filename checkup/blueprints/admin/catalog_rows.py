"""The package and add-on module forms' item checkboxes printed in Python (#16), byte for byte the markup the
forms' ``item_groups`` macro printed (templates/catalog/package_form.html and module_form.html): a catalog
holds a few hundred items, and the macro's loop cost a third of those pages. Values are escaped as the
template escaped them; labels are translated once per page; tests/catalog/test_catalog_rows.py renders the
old macro beside them."""

from flask import current_app, render_template, request, url_for
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

from checkup.core.labels import choice_label
from checkup.web.html_text import escaped
from checkup.web.kept_markup import KeptMarkup
from checkup.web.row_printing import address_pattern, localized_name, translated


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


# a package's or module's form as a fresh GET prints it (templates/catalog/_package_form.html, _module_form.html):
# it follows only the record's values and the catalog's items, so it is printed once per language and those values
# and filled with each request's CSRF token (kept_markup); a form sent back with errors or input is never kept
_KEPT_FORMS = KeptMarkup(limit=64)


def kept_form(template, record_id, values, selected, item_rows, render):
    """``render()``'s markup (the ``template`` form of the record ``record_id``, ``None`` for a new one, showing
    ``values`` with the items ``selected`` (ids) checked among ``item_rows``, services/catalog/catalog_packages
    .choosable_item_rows), kept per language and all of these. Values are keyed by their ``repr`` (a price of
    ``10.0`` and one of ``10.00`` are equal, but print apart)."""
    key = (
        template,
        str(get_locale()),
        request.script_root,
        current_app.config.get("WTF_CSRF_ENABLED", True),
        record_id,
        tuple(map(repr, values)),
        tuple(sorted(selected)),
        item_rows,
    )
    return _KEPT_FORMS(key, render)


def _data(record):
    """A model object's column values, by their ``repr`` (see ``kept_form``)."""
    return repr(tuple(record.__data__.items())) if record is not None else None


def kept_item_body(item, station, ranges, render):
    """``render()``'s markup (templates/catalog/_item_detail_body.html for ``item``, read with its department and
    resource, its ``station`` (None without one) and reference ``ranges``), kept per language and their values
    (a GET's: the range form in it is a fresh one)."""
    key = (
        "item",
        str(get_locale()),
        request.script_root,
        current_app.config.get("WTF_CSRF_ENABLED", True),
        _data(item),
        _data(item.department),
        _data(item.resource) if item.resource_id else None,
        _data(station),
        tuple(_data(r) for r in ranges),
    )
    return _KEPT_FORMS(key, render)


# {(language, where the app is mounted): {ItemListRow: its printed <tr>}}: a row's markup depends only on its own
# values (catalog data, no account's), the language and the addresses, so a row is printed once per process
# while it stays as it is; an edited row is another key. Emptied when it holds more than _KEPT_ROWS rows.
_KEPT_ROWS = 5_000


def item_rows(items):
    """The ``<tr>`` of each row of the catalog's item list (services/catalog/catalog ``ItemListRow``), as
    templates/catalog/_item_rows.html's macro printed them (the newlines between them included). Texts are
    escaped without a Markup each; each row's markup is kept per language (see ``_KEPT_ROWS``)."""
    if not items:
        no_match = translated(gettext("No item matches."))
        return Markup(f'\n<tr><td colspan="9">{no_match}</td></tr>\n')
    kept_by_page = current_app.extensions.setdefault("checkup.catalog_item_rows", {})
    page_key = (str(get_locale()), request.script_root)
    kept = kept_by_page.get(page_key)
    if kept is None or len(kept) > _KEPT_ROWS:
        kept = kept_by_page[page_key] = {}
    printed = [kept.get(item) for item in items]
    if None in printed:
        fresh = [item for item, row in zip(items, printed, strict=True) if row is None]
        for item, row in zip(fresh, _printed_rows(fresh), strict=True):
            kept[item] = row
        printed = [kept[item] for item in items]
    return Markup("".join(printed))


def _printed_rows(items):
    """Each of ``items``' ``<tr>`` (with the newlines around it), printed."""
    detail, edit, row_form = (
        escaped(address_pattern(endpoint, "item_id"))
        for endpoint in ("catalog.item_detail", "catalog.item_edit", "catalog.item_row_form")
    )
    active_text = translated(gettext("Active"))
    inactive_label = translated(gettext("Inactive"))
    inactive_text = f'<span class="badge cancelled">{inactive_label}</span>'
    edit_text = translated(gettext("Edit"))
    type_labels = {}
    printed = []
    for item in items:
        item_id, code = item.id, escaped(item.code)
        type_label = type_labels.get(item.result_type)
        if type_label is None:
            type_label = type_labels[item.result_type] = escape(str(choice_label("result_type", item.result_type)))
        printed.append(
            f'\n<tr id="item-{item_id}">\n  <td>{code}</td>\n  <td><a href="{detail % item_id}">'
            f"{escaped(item.name)}</a></td>\n  <td>{escaped(item.department)}</td>\n  <td>{escaped(item.unit)}</td>\n"
            f'  <td>{type_label}</td>\n  <td class="num">{escaped(item.price)}</td>\n'
            f"  <td>{escaped(item.resource)}</td>\n  <td>{active_text if item.active else inactive_text}</td>\n"
            f'  <td><a href="{edit % item_id}"\n         hx-get="{row_form % item_id}" hx-target="closest tr" '
            f'hx-swap="outerHTML">{edit_text}<span class="visually-hidden"> {code}</span></a></td>\n</tr>\n'
        )
    return printed


def department_options(departments, selected, chinese):
    """The item list's department filter's ``<option>``s (services/catalog/catalog ``department_names``), the one
    whose id is ``selected`` selected, names in the page's language: what templates/catalog/items.html's loop
    printed."""
    return Markup(
        "".join(
            f'<option value="{department.id}" {"selected" if selected == department.id else ""}>'
            f"{escaped(localized_name(department, chinese))}</option>"
            for department in departments
        )
    )


def subnav():
    """templates/catalog/_subnav.html as it renders for this request: it depends only on the language, the
    page's endpoint and where the app is mounted (no account's data), so it is rendered once per such key and
    kept on the app."""
    kept = current_app.extensions.setdefault("checkup.catalog_subnav", {})
    key = (str(get_locale()), request.endpoint, request.script_root)
    html = kept.get(key)
    if html is None:
        html = kept[key] = Markup(render_template("catalog/_subnav.html"))
    return html
