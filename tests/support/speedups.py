"""What makes the per-test app and database cheap without changing what a test sees."""

from checkup.models.base import db


def memoize_url_rule_builders():
    """Compile each of werkzeug's URL-builder functions once per test process.

    Every test makes its own app, and werkzeug compiles two builder functions (ast + compile()) for each
    of the app's ~240 routes each time: ~0.1 s per app, minutes per run. A builder is the same function
    for the same rule text, parts and names of defaults (the rule it builds for comes in as ``self``), so
    it is kept by those. A rule whose defaults fill one of its own variables bakes the converted value
    into the code: that one is compiled every time, as before."""
    from werkzeug.routing.rules import Rule

    original = getattr(Rule, "_compile_builder", None)
    if original is None or getattr(original, "memoized", False):
        return
    builders = {}

    def compile_builder(self, append_unknown=True):
        defaults = self.defaults or {}
        if any(dynamic and name in defaults for dynamic, name in self._trace):
            return original(self, append_unknown)
        key = (self.rule, tuple(self._trace), tuple(defaults), append_unknown)
        if key not in builders:
            builders[key] = original(self, append_unknown)
        return builders[key]

    compile_builder.memoized = True
    Rule._compile_builder = compile_builder


def share_compiled_templates():
    """Let every app of the test process reuse the templates another one already compiled.

    Each app has its own Jinja environment, which lexes, parses and compiles every template it renders
    anew: seconds per hundred tests. Jinja's bytecode cache keeps the compiled code by template name and
    file and checks it against the source's checksum, so a template that changed is compiled again; all
    the apps are made by the same create_app, with the same Jinja settings, extensions and filters."""
    import flask
    from jinja2 import BytecodeCache

    original = flask.Flask.create_jinja_environment
    if getattr(original, "shared", False):
        return

    class InMemoryBytecodeCache(BytecodeCache):
        def __init__(self):
            self.code = {}

        def load_bytecode(self, bucket):
            if bucket.key in self.code:
                bucket.bytecode_from_string(self.code[bucket.key])

        def dump_bytecode(self, bucket):
            self.code[bucket.key] = bucket.bytecode_to_string()

    cache = InMemoryBytecodeCache()

    def create_jinja_environment(self):
        environment = original(self)
        environment.bytecode_cache = cache
        return environment

    create_jinja_environment.shared = True
    flask.Flask.create_jinja_environment = create_jinja_environment


class PostgresReset:
    """Empties every table but schema_migration and restarts the sequences of their columns, as
    ``TRUNCATE ... RESTART IDENTITY CASCADE`` does, in a few milliseconds instead of 0.3-1 s.

    TRUNCATE gives each of the ~50 tables new files (and syncs them) every time; a test leaves a handful
    of rows, so DELETE is much cheaper. Foreign-key triggers are off meanwhile (session_replication_role =
    replica, for superusers; every row of every table goes, so nothing is left dangling). Without that
    privilege it falls back to TRUNCATE."""

    def __init__(self):
        self.statements = {}

    def __call__(self):
        tables = tuple(t for t in db.get_tables() if t != "schema_migration")  # a test may have added one
        if tables not in self.statements:
            self.statements[tables] = self._statement(tables)
        if self.statements[tables]:
            with db.atomic():
                db.execute_sql(self.statements[tables])

    @staticmethod
    def _statement(tables):
        if not tables:
            return ""
        try:
            with db.atomic():
                db.execute_sql("SET LOCAL session_replication_role = replica")
        except Exception:  # noqa: BLE001 - not a superuser: the slow way, always allowed
            return "TRUNCATE {} RESTART IDENTITY CASCADE".format(", ".join(f'"{t}"' for t in tables))
        names = ", ".join(f"'{t}'" for t in tables)
        # the sequences owned by the tables' columns (what RESTART IDENTITY restarts) that were used
        restart = (
            "SELECT setval(s.oid, ps.start_value, false) FROM pg_class s"
            " JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')"
            " JOIN pg_class t ON t.oid = d.refobjid"
            " JOIN pg_namespace n ON n.oid = s.relnamespace AND n.nspname = current_schema()"
            " JOIN pg_sequences ps ON ps.schemaname = n.nspname AND ps.sequencename = s.relname"
            f" WHERE s.relkind = 'S' AND t.relname IN ({names}) AND ps.last_value IS NOT NULL"
        )
        deletes = " ".join(f'DELETE FROM "{t}";' for t in tables)
        return f"SET LOCAL session_replication_role = replica; {deletes} {restart}"
