"""Admin: the follow-up rule table and the advice library physicians draw on."""

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _

from checkup.forms.care_rules import RuleForm, SnippetForm
from checkup.models.accounts import ADMIN
from checkup.services.catalog import care_rules
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, restrict_blueprint

bp = Blueprint("care_rules", __name__, url_prefix="/admin/care")
restrict_blueprint(bp, ADMIN)


def _page(rule_forms=None, snippet_form=None, status=200):
    rows = care_rules.rule_table()
    forms = rule_forms or {
        kind: RuleForm(prefix=kind, data={"level": level, "due_hours": hours}) for kind, level, hours in rows
    }
    return render_page(
        "admin/care_rules.html",
        rows=rows,
        forms=forms,
        snippets=care_rules.snippets(),
        snippet_form=snippet_form or SnippetForm(),
        status=status,
    )


@bp.get("")
def index():
    return _page()


@bp.post("/rules/<kind>")
def save_rule(kind):
    form = RuleForm(prefix=kind)
    if submit(form, lambda: care_rules.set_rule(actor(), kind, form.level.data, form.due_hours.data)).done:
        flash(_("Rule saved. It applies to reports signed from now on."), "success")
        return redirect(url_for("care_rules.index"), code=303)
    forms = {
        k: RuleForm(prefix=k, data={"level": level, "due_hours": hours}) for k, level, hours in care_rules.rule_table()
    }
    forms[kind] = form
    return _page(rule_forms=forms, status=422)


@bp.post("/advice")
def add_snippet():
    form = SnippetForm()
    if submit(form, lambda: care_rules.save_snippet(actor(), form.key.data, form.text_en.data, form.text_zh.data)).done:
        flash(_("Advice saved."), "success")
        return redirect(url_for("care_rules.index"), code=303)
    return _page(snippet_form=form, status=422)


@bp.post("/advice/<int:snippet_id>/delete")
def delete_snippet(snippet_id):
    care_rules.delete_snippet(actor(), snippet_id)
    flash(_("Advice deleted."), "success")
    return redirect(url_for("care_rules.index"), code=303)
