"""Text escaped for HTML as Jinja's autoescape prints it, for markup printed in Python (form fields, rows)."""

from flask_babel.speaklater import LazyString
from markupsafe import escape


def escaped(value) -> str:
    """``str(escape(value))`` without a Markup object built for each value (a form or a list prints a few hundred):
    plain text gets markupsafe's own replacements, a whole number its digits, a lazy string what it gives
    ``escape``; anything else (Markup, None, decimals) goes through ``escape`` itself."""
    if type(value) is str:
        if "&" in value or "<" in value or ">" in value or "'" in value or '"' in value:
            return (
                value.replace("&", "&amp;")
                .replace(">", "&gt;")
                .replace("<", "&lt;")
                .replace("'", "&#39;")
                .replace('"', "&#34;")
            )
        return value  # most text has nothing to escape: looking costs less than replacing
    if type(value) is int:  # digits: nothing to escape
        return str(value)
    if type(value) is LazyString:  # a translated label or hint: what escape() wraps in a Markup
        return str(value.__html__())
    return str(escape(value))
