"""Admin: the catalog's add-on modules (views of the ``catalog`` blueprint)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from checkup.blueprints.admin import catalog_rows
from checkup.blueprints.admin.catalog import add_rule_errors, bp, validated_field
from checkup.forms.catalog import ModuleForm, values_of
from checkup.services.catalog import addon_modules as modules
from checkup.services.catalog import catalog_packages
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, wants_fragment

MODULE_FIELDS = modules.MODULE_FIELDS + ("items",)


# --- add-on modules -------------------------------------------------------------------------------


@bp.get("/modules")
def module_list():
    search = request.args.get("q", "").strip()[:100]
    return render_page(
        "catalog/modules.html", "catalog/_module_rows.html", modules=modules.list_modules(search), search=search
    )


def _module_form_page(form, module, status=200):
    selected = {int(i) for i in (form.items.data or []) if str(i).isdigit() and len(str(i)) < 10}
    return render_page(
        "catalog/module_form.html",
        form=form,
        module=module,
        item_checkboxes=catalog_rows.item_groups(
            catalog_packages.items_by_department(selected), selected, with_sex=True
        ),
        status=status,
    )


def _fresh_module_page(module):
    """The form as a GET shows it (``module``'s values, or a new one's defaults), its markup kept
    (catalog_rows.kept_form): the form is built only when the markup is printed."""
    data = {k: getattr(module, k) for k in modules.MODULE_FIELDS} if module is not None else None
    selected = modules.module_item_ids(module.id) if module is not None else []
    item_rows = catalog_packages.choosable_item_rows()

    def render():
        if data is None:
            form = ModuleForm()
        else:
            form = ModuleForm(data={**data, "items": [str(i) for i in selected]})
        chosen = set(selected)
        return render_template(
            "catalog/_module_form.html",
            form=form,
            module=module,
            item_checkboxes=catalog_rows.item_groups(
                catalog_packages.items_by_department(chosen, item_rows), chosen, with_sex=True
            ),
        )

    kept = catalog_rows.kept_form(
        "module", module and module.id, data.values() if data else (), selected, item_rows, render
    )
    return render_page("catalog/module_form.html", module=module, kept_form=kept)


def _save_module(form, module=None):
    """Validate and save; a redirect on success, else the form page with the errors placed on ``form``."""
    module_id = module.id if module else None
    outcome = submit(form, lambda: modules.save_module(actor(), values_of(form, MODULE_FIELDS), module_id))
    if outcome.done:
        flash(_("Add-on module %(code)s saved.", code=outcome.result.code), "success")
        return redirect(url_for("catalog.module_list"), code=303)
    if outcome.invalid:
        add_rule_errors(form, lambda: modules.module_problems(values_of(form, MODULE_FIELDS), module_id)[1])
    return _module_form_page(form, module, outcome.status)


@bp.route("/modules/new", methods=["GET", "POST"])
def module_new():
    if request.method == "GET":
        return _fresh_module_page(None)
    return _save_module(ModuleForm())


@bp.route("/modules/<int:module_id>/edit", methods=["GET", "POST"])
def module_edit(module_id):
    module = modules.get_module(module_id)
    if request.method == "GET":
        return _fresh_module_page(module)
    return _save_module(ModuleForm(), module)


@bp.post("/modules/validate/<field>")
@bp.post("/modules/<int:module_id>/validate/<field>")
def module_validate(field, module_id=None):
    module = modules.get_module(module_id) if module_id is not None else None
    form = ModuleForm()
    return validated_field(
        form,
        field,
        lambda: modules.module_problems(values_of(form, MODULE_FIELDS), module.id if module else None)[1],
    )


@bp.post("/modules/<int:module_id>/active")
def module_active(module_id):
    active = request.form.get("active") == "1"
    module = modules.set_module_active(actor(), module_id, active)
    if wants_fragment():
        return render_template("catalog/_module_row.html", module=modules.module_row(module.id))
    flash(
        _("Add-on module %(code)s is now offered.", code=module.code)
        if active
        else _("Add-on module %(code)s is no longer offered.", code=module.code),
        "success",
    )
    return redirect(url_for("catalog.module_list"), code=303)
