"""Admin: the follow-up rule table and the advice library physicians draw on."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from checkup.forms.care_rules import RuleForm, SnippetForm
from checkup.models.accounts import ADMIN
from checkup.services.catalog import care_rules
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, restrict_blueprint
from checkup.web.kept_markup import KeptMarkup

bp = Blueprint("care_rules", __name__, url_prefix="/admin/care")
restrict_blueprint(bp, ADMIN)


# the page as a GET prints it: its forms hold only the rules and advice read on every request, so it is printed
# once per language and those values (kept_markup); a form sent back with errors is printed as it is
_KEPT_PAGES = KeptMarkup()


def _page(rule_forms=None, snippet_form=None, status=200):
    rows = care_rules.rule_table()
    snippets = care_rules.snippets()

    def content():
        forms = rule_forms or {
            kind: RuleForm(prefix=kind, data={"level": level, "due_hours": hours}) for kind, level, hours in rows
        }
        return render_template(
            "admin/_care_rules_body.html",
            rows=rows,
            forms=forms,
            snippets=snippets,
            snippet_form=snippet_form or SnippetForm(),
        )

    if rule_forms is None and snippet_form is None:
        html = _KEPT_PAGES((str(get_locale()), tuple(rows), tuple(snippets)), content)
    else:
        html = Markup(content())
    return render_page("admin/care_rules.html", content_html=html, status=status)


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
