"""Form fields that check themselves on the server when the user leaves them (the check never writes): each
posts its form to a validate endpoint named after it and is swapped for the answer, the same field with its
messages (e.g. the catalog's ``item_validate``)."""

import re

from flask import url_for
from markupsafe import Markup

from checkup.web.form_controls import form_field

_SOME_FIELD = "field987654321"  # a name no field has: it marks where a field's own name goes in the address
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-]+")  # printed in an address as it is


class FieldChecks:
    """The checked fields of one form: ``endpoint`` with ``args`` (the record's id, say) and the field's name
    as ``field``. The address is made once per form and filled in per field (url_for costs ~10 µs a call)."""

    def __init__(self, endpoint, args=None):
        self.endpoint = endpoint
        self.args = dict(args or {})
        self.pattern = url_for(endpoint, field=_SOME_FIELD, **self.args)

    def address(self, name):
        """What ``url_for(endpoint, field=name, **args)`` gives."""
        if _PLAIN_NAME.fullmatch(name):
            return self.pattern.replace(_SOME_FIELD, name)
        return url_for(self.endpoint, field=name, **self.args)

    def __call__(self, field, hint=None):
        """``field`` labelled (web/form_controls.form_field) with its check's htmx attributes, between the two
        newlines the template macro that printed it before left around it."""
        attrs = {
            "hx-post": self.address(field.name),
            "hx-trigger": "change",
            "hx-target": f"#{field.id}-field",
            "hx-swap": "outerHTML",
            "hx-sync": "closest form:abort",
        }
        return Markup(f"\n{form_field(field, hint, attrs)}\n")
