"""Form controls as WTForms' stock widgets print them, without their per-attribute Markup formatting.

WTForms builds every attribute through ``Markup.format`` and looks up the field's flags with ``dir()``: about
a fifth of a sign-in page's time. ``form_control`` prints the same markup for the stock widgets below and
hands anything else (custom widgets, grouped selects, datalists, a custom Meta) to WTForms itself; a select
whose choices are (value, label) pairs is printed straight from them. ``form_field`` prints a whole labelled
field as templates/_forms.html's ``field`` macro describes it. Tests: tests/web/test_form_controls.py,
test_form_field.py and test_form_printing.py."""

from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape
from wtforms import Field, SelectField, SelectMultipleField, widgets
from wtforms.meta import DefaultMeta

from checkup.web.html_text import escaped


def _shown(value):
    """(whether ``value`` prints at all, its escaped text): a lazy string (a label, a hint) is translated once,
    not once to test it and again to print it. Such a string, like plain text, prints when its text is not
    empty; anything else when it is true."""
    if type(value) is str or type(value) is LazyString:
        text = escaped(value)
        return bool(text), text
    return (True, escaped(value)) if value else (False, "")


def _quoted(value):
    """An attribute's value as html_params quotes it: escaped, and a Markup value's double quotes too."""
    return escaped(value) if type(value) is str else str(escape(value)).replace('"', "&quot;")


def _clean_key(key):
    if "_" not in key:  # "hx-post", "aria-describedby", "id": nothing to clean
        return key
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
            parts.append(f'{_clean_key(key)}="{_quoted(value)}"')
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
    return Markup(f"<textarea {_attributes(attrs)}>\r\n{escaped(field._value())}</textarea>")


def _option(value, label, selected):
    """``<option>`` as Select.render_option prints one without attributes of its own: what ``_attributes``
    prints for these two (sorted: "selected" before "value"), without its dict and sort."""
    value = str(value) if isinstance(value, bool) else value
    shown, text = _shown(label)  # ``label or value``
    if not shown:
        text = escaped(value)
    return f'<option {"selected " if selected else ""}value="{_quoted(value)}">{text}</option>'


def _paired_options(field):
    """The options of a SelectField or SelectMultipleField whose choices are a list of (value, label) pairs,
    printed straight from the pairs; None for any other field or choices. WTForms turns every pair into a
    SelectChoice twice (once to look for option groups, once to list them) and then into a Choice: most of a
    select's time."""
    kind = type(field)
    if kind.iter_choices is SelectField.iter_choices:
        data, multiple = field.data, False
    elif kind.iter_choices is SelectMultipleField.iter_choices:
        data, multiple = field.data or (), True
    else:
        return None
    if kind.has_groups is not SelectField.has_groups:
        return None
    choices = field.choices
    if type(choices) is not list or not all(type(choice) is tuple and len(choice) == 2 for choice in choices):
        return None
    coerce = field.coerce
    if multiple:
        return [_option(value, label, coerce(value) in data) for value, label in choices]
    return [_option(value, label, coerce(value) == data) for value, label in choices]


def _select(widget, field, attrs):
    options = _paired_options(field)
    if options is None and field.has_groups():
        return None
    attrs.setdefault("id", field.id)
    if widget.multiple:
        attrs["multiple"] = True
    _validation_attributes(widget, field, attrs)
    attrs["name"] = field.name
    html = [f"<select {_attributes(attrs)}>"]
    if options is not None:
        html.extend(options)
    else:
        for choice in field._iter_choices_normalized():
            if choice.render_kw:
                option = {"value": str(choice.value) if isinstance(choice.value, bool) else choice.value}
                option.update(choice.render_kw)
                if choice.selected:
                    option["selected"] = True
                shown, text = _shown(choice.label)
                html.append(f"<option {_attributes(option)}>{text if shown else escaped(choice.value)}</option>")
            else:
                html.append(_option(choice.value, choice.label, choice.selected))
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
    """``field(**attrs)``, the same markup, printed faster for WTForms' stock widgets; anything else WTForms
    prints itself, as its own ``Field.__call__`` does (through the form's meta)."""
    render = _CONTROLS.get(type(field.widget))
    if (
        render is None
        or getattr(field, "_datalist", None) is not None
        or type(field.meta).render_field is not DefaultMeta.render_field
    ):
        return field.meta.render_field(field, attrs)
    given = {_clean_key(key): value for key, value in attrs.items()}
    if field.render_kw is not None:
        given = {**{_clean_key(key): value for key, value in field.render_kw.items()}, **given}
    if "name" in given:  # WTForms refuses a second name
        return field.meta.render_field(field, attrs)
    return render(field.widget, field, given) or field.meta.render_field(field, attrs)


def print_fields_quickly():
    """``{{ form.field }}`` (a CSRF token on every form) and ``{{ field(**attrs) }}`` (a radio or checkbox of a
    list, say) print through ``form_control``: the same markup."""
    Field.__html__ = lambda self: form_control(self, {})
    Field.__call__ = lambda self, **attrs: form_control(self, attrs)


def form_field(field, hint=None, attrs=None):
    """A labelled field: its control, its hint and its errors tied to it with aria-describedby, and the
    required mark; a checkbox inside its label. What the ``field`` macro of templates/_forms.html prints
    (in Python: the macro's dozen template statements cost more than the control itself)."""
    field_id = field.id
    errors = field.errors
    given = dict(attrs) if attrs else {}
    has_hint, hint_text = _shown(hint or field.description)
    if has_hint:
        given["aria-describedby"] = f"{field_id}-hint {field_id}-error" if errors else f"{field_id}-hint"
    elif errors:
        given["aria-describedby"] = f"{field_id}-error"
    if errors:
        given["aria-invalid"] = "true"
    required = bool(field.flags.required)
    if required:
        given["required"] = True
    label = escaped(field.label.text)
    quoted_id = escaped(field_id)
    parts = [f'<div class="field" id="{quoted_id}-field">\n']
    if field.type == "BooleanField":
        parts.append(f'  <label for="{quoted_id}">{form_control(field, given)} {label}</label>\n')
    else:
        mark = ' <span aria-hidden="true">*</span>' if required else ""
        parts.append(f'  <label for="{quoted_id}">{label}{mark}</label>\n  {form_control(field, given)}\n')
    if has_hint:
        parts.append(f'  <small id="{quoted_id}-hint" class="muted">{hint_text}</small>\n')
    if errors:
        shown = " ".join(escaped(error) for error in errors)
        parts.append(f'  <small id="{quoted_id}-error" class="field-error">{shown}</small>\n')
    parts.append("</div>")
    return Markup("".join(parts))
