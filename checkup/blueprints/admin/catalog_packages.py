"""Admin: the catalog's packages and limited resources (views of the ``catalog`` blueprint)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from checkup.blueprints.admin import catalog_rows
from checkup.blueprints.admin.catalog import add_rule_errors, bp, validated_field
from checkup.forms.catalog import PackageForm, ResourceForm, values_of
from checkup.services.catalog import catalog_packages as packages
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, wants_fragment

PACKAGE_FIELDS = packages.PACKAGE_FIELDS + ("items",)


# --- packages -------------------------------------------------------------------------------------


@bp.get("/packages")
def package_list():
    search = request.args.get("q", "").strip()[:100]
    return render_page(
        "catalog/packages.html", "catalog/_package_rows.html", packages=packages.list_packages(search), search=search
    )


def _package_form_page(form, package, status=200):
    selected = {int(i) for i in (form.items.data or []) if str(i).isdigit() and len(str(i)) < 10}
    return render_page(
        "catalog/package_form.html",
        form=form,
        package=package,
        item_checkboxes=catalog_rows.item_groups(packages.items_by_department(selected), selected),
        status=status,
    )


def _fresh_package_page(package):
    """The form as a GET shows it (``package``'s values, or a new one's defaults), its markup kept
    (catalog_rows.kept_form): the form is built only when the markup is printed."""
    data = {k: getattr(package, k) for k in packages.PACKAGE_FIELDS} if package is not None else None
    selected = packages.package_item_ids(package.id) if package is not None else []
    item_rows = packages.choosable_item_rows()

    def render():
        if data is None:
            form = PackageForm()
        else:
            form = PackageForm(data={**data, "items": [str(i) for i in selected]})
        chosen = set(selected)
        return render_template(
            "catalog/_package_form.html",
            form=form,
            package=package,
            item_checkboxes=catalog_rows.item_groups(packages.items_by_department(chosen, item_rows), chosen),
        )

    kept = catalog_rows.kept_form(
        "package", package and package.id, data.values() if data else (), selected, item_rows, render
    )
    return render_page("catalog/package_form.html", package=package, kept_form=kept)


def _save_package(form, package=None):
    """Validate and save; a redirect on success, else the form page with the errors placed on ``form``."""
    package_id = package.id if package else None
    outcome = submit(form, lambda: packages.save_package(actor(), values_of(form, PACKAGE_FIELDS), package_id))
    if outcome.done:
        flash(_("Package %(code)s saved.", code=outcome.result.code), "success")
        return redirect(url_for("catalog.package_list"), code=303)
    if outcome.invalid:
        add_rule_errors(form, lambda: packages.package_problems(values_of(form, PACKAGE_FIELDS), package_id)[1])
    return _package_form_page(form, package, outcome.status)


@bp.route("/packages/new", methods=["GET", "POST"])
def package_new():
    if request.method == "GET":
        return _fresh_package_page(None)
    return _save_package(PackageForm())


@bp.route("/packages/<int:package_id>/edit", methods=["GET", "POST"])
def package_edit(package_id):
    package = packages.get_package(package_id)
    if request.method == "GET":
        return _fresh_package_page(package)
    return _save_package(PackageForm(), package)


@bp.post("/packages/validate/<field>")
@bp.post("/packages/<int:package_id>/validate/<field>")
def package_validate(field, package_id=None):
    package = packages.get_package(package_id) if package_id is not None else None
    form = PackageForm()
    return validated_field(
        form,
        field,
        lambda: packages.package_problems(values_of(form, PACKAGE_FIELDS), package.id if package else None)[1],
    )


@bp.post("/packages/<int:package_id>/active")
def package_active(package_id):
    active = request.form.get("active") == "1"
    package = packages.set_package_active(actor(), package_id, active)
    if wants_fragment():
        return render_template("catalog/_package_row.html", package=packages.package_row(package.id))
    flash(
        _("Package %(code)s is now offered.", code=package.code)
        if active
        else _("Package %(code)s is no longer offered.", code=package.code),
        "success",
    )
    return redirect(url_for("catalog.package_list"), code=303)


# --- limited resources ----------------------------------------------------------------------------


@bp.get("/resources")
def resource_list():
    return render_page("catalog/resources.html", resources=packages.list_resources())


def _resource_page(resource_id=None):
    resource = packages.get_resource(resource_id) if resource_id is not None else None
    if request.method == "GET" and resource is not None:
        form = ResourceForm(data={k: getattr(resource, k) for k in packages.RESOURCE_FIELDS})
    else:
        form = ResourceForm()
    outcome = submit(
        form, lambda: packages.save_resource(actor(), values_of(form, packages.RESOURCE_FIELDS), resource_id)
    )
    if outcome.done:
        flash(_("Resource %(code)s saved.", code=outcome.result.code), "success")
        return redirect(url_for("catalog.resource_list"), code=303)
    if outcome.invalid:
        add_rule_errors(
            form, lambda: packages.resource_problems(values_of(form, packages.RESOURCE_FIELDS), resource_id)[1]
        )
    return render_page("catalog/resource_form.html", form=form, resource=resource, status=outcome.status)


@bp.route("/resources/new", methods=["GET", "POST"])
def resource_new():
    return _resource_page()


@bp.route("/resources/<int:resource_id>/edit", methods=["GET", "POST"])
def resource_edit(resource_id):
    return _resource_page(resource_id)


@bp.post("/resources/validate/<field>")
@bp.post("/resources/<int:resource_id>/validate/<field>")
def resource_validate(field, resource_id=None):
    resource = packages.get_resource(resource_id) if resource_id is not None else None
    form = ResourceForm()
    return validated_field(
        form,
        field,
        lambda: packages.resource_problems(
            values_of(form, packages.RESOURCE_FIELDS), resource.id if resource else None
        )[1],
    )
