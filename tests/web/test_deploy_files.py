"""The deploy files run real commands: every Procfile line and systemd unit names a `flask --app wsgi`
command the app has (with options it takes) or gunicorn with options it knows, and the units restart."""

import re
import shlex
import tomllib
from pathlib import Path

import click
import pytest

from checkup.config import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = {"web": "checkup-web.service", "worker": "checkup-worker.service", "cron": "checkup-cron.service"}
VENV_BIN = "/srv/checkup/.venv/bin/"


def procfile():
    """{process: command}, read the way honcho reads it (other lines are ignored)."""
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_]+):\s*(.+)$", line)
        if match:
            entries[match.group(1)] = match.group(2)
    return entries


def unit(name):
    """{section: [(key, value)]} of a systemd unit (keys may repeat)."""
    sections, current = {}, None
    for raw in (DEPLOY / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
            continue
        key, _, value = line.partition("=")
        current.append((key.strip(), value.strip()))
    return sections


def values(section, key):
    return [value for k, value in section if k == key]


def commands_of(shell_line):
    """The argument lists of a shell line's commands (`a && exec b`), without a leading `exec`."""
    found = []
    for part in shell_line.split("&&"):
        argv = shlex.split(part)
        if argv and argv[0] == "exec":
            argv = argv[1:]
        found.append(argv)
    return found


def check_flask_command(app, argv):
    """``argv`` is `flask --app wsgi <command ...> [options]` naming a command of the app's CLI."""
    assert argv[1:3] == ["--app", "wsgi"], argv
    command, rest, path = app.cli, argv[3:], []
    while isinstance(command, click.Group):
        assert rest, f"{' '.join(argv)}: a command group needs a command"
        ctx = click.Context(command)
        name, rest = rest[0], rest[1:]
        assert name in command.list_commands(ctx), f"no command {name!r} in `flask --app wsgi {' '.join(path)}`"
        path.append(name)
        command = command.get_command(ctx, name)
    command.make_context(" ".join(path), list(rest))  # its options parse (click raises otherwise)
    return " ".join(path)


def check_gunicorn_command(argv):
    from gunicorn.config import Config

    options = Config().parser().parse_args(argv[1:])  # an unknown option exits (SystemExit)
    assert options.args == ["wsgi:app"]
    return options


def check(app, argv):
    program = Path(argv[0]).name
    if program == "flask":
        return check_flask_command(app, argv)
    assert program == "gunicorn", argv
    check_gunicorn_command(argv)
    return "gunicorn"


def test_the_procfile_runs_web_worker_and_cron_with_real_commands(app):
    entries = procfile()
    assert set(entries) == {"web", "worker", "cron"}
    found = {name: [check(app, argv) for argv in commands_of(line)] for name, line in entries.items()}
    assert found == {"web": ["db upgrade", "gunicorn"], "worker": ["worker"], "cron": ["cron"]}
    bind = check_gunicorn_command(commands_of(entries["web"])[-1]).bind
    assert bind == ["127.0.0.1:8000"]


@pytest.mark.parametrize("process", sorted(UNITS))
def test_each_unit_restarts_runs_as_checkup_and_names_a_real_command(app, process):
    sections = unit(UNITS[process])
    service = sections["Service"]
    assert values(service, "Restart") == ["always"]
    assert values(service, "KillMode") == ["control-group"]
    assert len(values(service, "RestartSec")) == 1 and int(values(service, "RestartSec")[0]) > 0
    assert values(service, "EnvironmentFile") == ["/etc/checkup/checkup.env"]
    assert values(service, "User") == ["checkup"] and values(service, "WorkingDirectory") == ["/srv/checkup"]
    assert values(sections["Install"], "WantedBy") == ["multi-user.target"]

    lines = values(service, "ExecStartPre") + values(service, "ExecStart")
    argvs = [shlex.split(line) for line in lines]
    assert all(argv[0].startswith(VENV_BIN) for argv in argvs), lines
    found = [check(app, argv) for argv in argvs]
    assert found[-1] == {"web": "gunicorn", "worker": "worker", "cron": "cron"}[process]
    if process == "web":
        options = check_gunicorn_command(argvs[-1])
        assert options.bind == ["127.0.0.1:8000"] and options.control_socket_disable
        assert found[:-1] == ["db upgrade"]


def test_nginx_proxies_to_the_web_unit_and_admits_the_largest_upload(app):
    conf = (DEPLOY / "nginx-checkup.conf").read_text()
    assert re.search(r"server 127\.0\.0\.1:8000;", conf)
    assert "return 301 https://$host$request_uri;" in conf
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"):
        assert re.search(rf"proxy_set_header {header} \$", conf), header
    assert re.search(r"location /static/ \{\s*alias /srv/checkup/static/;\s*expires ", conf)
    size = re.search(r"client_max_body_size (\d+)m;", conf)
    upload_cap = next(default for key, _env, _parse, default in SETTINGS if key == "UPLOAD_MAX_BYTES")
    assert int(size.group(1)) * 1024 * 1024 == upload_cap + 1024 * 1024  # the upload plus the rest of the form
    assert int(size.group(1)) * 1024 * 1024 <= app.config["MAX_CONTENT_LENGTH"]


def test_the_env_example_names_only_real_settings_in_a_form_systemd_and_honcho_both_read():
    known = {env for _key, env, _parse, _default in SETTINGS}
    names = []
    for line in (DEPLOY / "checkup.env.example").read_text().splitlines():
        match = re.match(r"^#?(CHECKUP_[A-Z0-9_]+)=(.*)$", line)
        if not match:
            continue
        name, value = match.groups()
        names.append(name)
        assert name in known, f"{name} is not a setting in checkup/config.py"
        assert re.fullmatch(r'[A-Za-z0-9_./:+-]*|"[^"\\$`]*"', value), f"{name}: quote this value"
    required = {
        "CHECKUP_DATABASE_URL",
        "CHECKUP_REDIS_URL",
        "CHECKUP_SECRET_KEY",
        "CHECKUP_NATIONAL_ID_KEY",
        "CHECKUP_BASE_URL",
        "CHECKUP_TRUST_PROXY",
        "CHECKUP_REPORTS_DIR",
        "CHECKUP_GROUP_DOCS_DIR",
    }
    assert required <= set(names) and len(names) == len(set(names))


def distributions(specs):
    return {re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0].lower() for spec in specs}


def test_honcho_is_in_the_prod_extra_and_gunicorn_is_installed_with_the_app():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "honcho" in distributions(project["optional-dependencies"]["prod"])
    assert "gunicorn" in distributions(project["dependencies"])
