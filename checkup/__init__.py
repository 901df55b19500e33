"""Checkup Portal: the application factory."""

from pathlib import Path

from flask import Flask

from checkup import cli, task_kinds  # noqa: F401 (task_kinds: every task handler registered, as in the worker)
from checkup.blueprints import BLUEPRINTS
from checkup.config import build_config
from checkup.core import key_check, tasks
from checkup.web import app as web

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None):
    """Build the app. ``config`` (a mapping) overrides environment settings; tests pass one."""
    config = dict(config or {})
    instance_path = config.pop("INSTANCE_PATH", None) or str(ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=False,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    app.config.update(build_config(app.instance_path, config))

    web.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    cli.init_app(app)
    tasks.app_factory = create_app  # a worker process without an app builds its own with this
    key_check.check_at_start(app)  # a wrong CHECKUP_NATIONAL_ID_KEY stops here, not as blank ID numbers
    return app
