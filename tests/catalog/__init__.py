"""The catalog tests (items, packages, modules, ranges, the floor's catalog)."""

HX = {"HX-Request": "true"}  # an htmx request
