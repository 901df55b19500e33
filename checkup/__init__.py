"""Checkup Portal: the application factory."""
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None):
    """Build the app. ``config`` (a mapping) overrides environment settings; tests pass one."""
    config = dict(config or {})
    instance_path = config.pop("INSTANCE_PATH", None) or str(ROOT / "instance")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=False,
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from checkup.config import build_config

    app.config.update(build_config(app.instance_path, config))

    from checkup.web import app as web

    web.init_app(app)

    from checkup import task_kinds  # noqa: F401  (every task handler registered, here as in the worker)
    from checkup.services.admin import key_check

    key_check.check_at_start(app)  # a wrong CHECKUP_NATIONAL_ID_KEY stops here, not as blank ID numbers
    return app
