"""Form controls as WTForms' stock widgets print them, without their per-attribute Markup formatting.

WTForms builds every attribute through ``Markup.format`` and looks up the field's flags with ``dir()``: about
a fifth of a sign-in page's time. ``form_control`` prints the same markup for the stock widgets below and
hands anything else (custom widgets, grouped selects, datalists, a custom Meta) to WTForms itself.
``form_field`` prints a whole labelled field as templates/_forms.html's ``field`` macro describes it."""

from markupsafe import Markup, escape
from wtforms import Field, widgets
from wtforms.meta import DefaultMeta


def _clean_key(key):
    key = key.rstrip("_")
    if key.startswith(("data_", "aria_")):
        key = key.replace("_", "-")
    return key


def _attributes(attrs):
    """wtforms.widgets.html_params: sorted by name, ``True`` bare, ``False`` left out, values escaped (a
    Markup value keeps its markup, but not a double quote)."""
    parts = []
    for key, value in sorted(attrs.items()):
        if value is True:
            parts.append(_clean_key(key))
        elif value is not False:
            quoted = str(escape(value)).replace('"', "&quot;")
            parts.append(f'{_clean_key(key)}="{quoted}"')
    return " ".join(parts)


def _validation_attributes(widget, field, attrs):
    flags = vars(field.flags)
    for name in widget.validation_attrs:
        if name in flags and name not in attrs:
            value = flags[name]
            attrs[name] = value() if callable(value) else value


def _input(widget, field, attrs):
    attrs.setdefault("id", field.id)
    attrs.setdefault("type", widget.input_type)
    if "value" not in attrs:
        attrs["value"] = field._value()
    _validation_attributes(widget, field, attrs)
    attrs["name"] = field.name
    return Markup(f"<input {_attributes(attrs)}>")


def _password(widget, field, attrs):
    if widget.hide_value:
        attrs["value"] = ""
    return _input(widget, field, attrs)


def _checkbox(widget, field, attrs):
    if getattr(field, "checked", field.data):
        attrs.setdefault("checked", True)
    return _input(widget, field, attrs)


def _radio(widget, field, attrs):
    if field.checked:
        attrs.setdefault("checked", True)
    return _input(widget, field, attrs)


def _number(widget, field, attrs):
    for name in ("step", "min", "max"):
        if getattr(widget, name) is not None:
            attrs.setdefault(name, getattr(widget, name))
    return _input(widget, field, attrs)


def _date_time(widget, field, attrs):
    pattern = getattr(field, "format", None)
    if pattern is not None:
        pattern = pattern[0] if isinstance(pattern, list) else pattern
        for name in ("min", "max"):
            value = attrs.get(name, getattr(field.flags, name, None))
            if callable(value):
                value = value()
            if hasattr(value, "strftime"):
                attrs[name] = value.strftime(pattern)
    return _input(widget, field, attrs)


def _textarea(widget, field, attrs):
    attrs.setdefault("id", field.id)
    _validation_attributes(widget, field, attrs)
    attrs["name"] = field.name
    return Markup(f"<textarea {_attributes(attrs)}>\r\n{escape(field._value())}</textarea>")


def _select(widget, field, attrs):
    if field.has_groups():
        return None
    attrs.setdefault("id", field.id)
    if widget.multiple:
        attrs["multiple"] = True
    _validation_attributes(widget, field, attrs)
    attrs["name"] = field.name
    html = [f"<select {_attributes(attrs)}>"]
    for choice in field._iter_choices_normalized():
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        label = escape(choice.label or choice.value)
        if choice.render_kw:
            option = {"value": value, **choice.render_kw}
            if choice.selected:
                option["selected"] = True
            html.append(f"<option {_attributes(option)}>{label}</option>")
        else:  # what _attributes prints for these two (sorted: "selected" before "value"), without its dict and sort
            quoted = str(escape(value)).replace('"', "&quot;")
            html.append(f'<option {"selected " if choice.selected else ""}value="{quoted}">{label}</option>')
    html.append("</select>")
    return Markup("".join(html))


_CONTROLS = {
    widgets.TextInput: _input,
    widgets.EmailInput: _input,
    widgets.TelInput: _input,
    widgets.URLInput: _input,
    widgets.SearchInput: _input,
    widgets.HiddenInput: _input,
    widgets.PasswordInput: _password,
    widgets.CheckboxInput: _checkbox,
    widgets.RadioInput: _radio,
    widgets.NumberInput: _number,
    widgets.DateInput: _date_time,
    widgets.TimeInput: _date_time,
    widgets.DateTimeLocalInput: _date_time,
    widgets.MonthInput: _date_time,
    widgets.TextArea: _textarea,
    widgets.Select: _select,
}


def form_control(field, attrs):
    """``field(**attrs)``, the same markup, printed faster for WTForms' stock widgets."""
    render = _CONTROLS.get(type(field.widget))
    if (
        render is None
        or getattr(field, "_datalist", None) is not None
        or type(field.meta).render_field is not DefaultMeta.render_field
    ):
        return field(**attrs)
    given = {_clean_key(key): value for key, value in attrs.items()}
    if field.render_kw is not None:
        given = {**{_clean_key(key): value for key, value in field.render_kw.items()}, **given}
    if "name" in given:  # WTForms refuses a second name
        return field(**attrs)
    return render(field.widget, field, given) or field(**attrs)


def print_fields_quickly():
    """``{{ form.field }}`` (a CSRF token on every form) prints through ``form_control``: the same markup."""
    Field.__html__ = lambda self: form_control(self, {})


def form_field(field, hint=None, attrs=None):
    """A labelled field: its control, its hint and its errors tied to it with aria-describedby, and the
    required mark; a checkbox inside its label. What the ``field`` macro of templates/_forms.html prints
    (in Python: the macro's dozen template statements cost more than the control itself)."""
    field_id = field.id
    given = dict(attrs or {})
    described = []
    hint_text = hint or field.description
    if hint_text:
        described.append(f"{field_id}-hint")
    if field.errors:
        described.append(f"{field_id}-error")
    if described:
        given["aria-describedby"] = " ".join(described)
    if field.errors:
        given["aria-invalid"] = "true"
    required = bool(field.flags.required)
    if required:
        given["required"] = True
    label = escape(field.label.text)
    parts = [f'<div class="field" id="{escape(field_id)}-field">\n']
    if field.type == "BooleanField":
        parts.append(f'  <label for="{escape(field_id)}">{form_control(field, given)} {label}</label>\n')
    else:
        mark = ' <span aria-hidden="true">*</span>' if required else ""
        parts.append(f'  <label for="{escape(field_id)}">{label}{mark}</label>\n  {form_control(field, given)}\n')
    if hint_text:
        parts.append(f'  <small id="{escape(field_id)}-hint" class="muted">{escape(hint_text)}</small>\n')
    if field.errors:
        errors = " ".join(str(escape(error)) for error in field.errors)
        parts.append(f'  <small id="{escape(field_id)}-error" class="field-error">{errors}</small>\n')
    parts.append("</div>")
    return Markup("".join(parts))
