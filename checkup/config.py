"""Settings: defaults, then CHECKUP_* environment variables, then a mapping given to create_app."""

import os
import secrets
from pathlib import Path


def _bool(value):
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _seconds_list(value):
    return tuple(int(part) for part in str(value).split(",") if part.strip())


# Flask config key, environment variable, parser, default.
SETTINGS = [
    ("DATABASE_URL", "CHECKUP_DATABASE_URL", str, None),
    ("REDIS_URL", "CHECKUP_REDIS_URL", str, None),
    # PostgreSQL cancels any one SQL statement of a web request after this long (0: no limit); workers, cron
    # and the CLI run without it
    ("STATEMENT_TIMEOUT_MS", "CHECKUP_STATEMENT_TIMEOUT_MS", int, 10000),
    ("SECRET_KEY", "CHECKUP_SECRET_KEY", str, None),
    ("NATIONAL_ID_KEY", "CHECKUP_NATIONAL_ID_KEY", str, None),
    ("CENTER_NAME", "CHECKUP_CENTER_NAME", str, "Checkup Portal Health Center"),
    # the center as the client's documents and mails name it, in each language (unset English name:
    # CENTER_NAME; unset address: the documents leave the line out)
    ("CENTER_NAME_EN", "CHECKUP_CENTER_NAME_EN", str, None),
    ("CENTER_NAME_ZH", "CHECKUP_CENTER_NAME_ZH", str, "健康体检中心"),
    ("CENTER_ADDRESS_EN", "CHECKUP_CENTER_ADDRESS_EN", str, ""),
    ("CENTER_ADDRESS_ZH", "CHECKUP_CENTER_ADDRESS_ZH", str, ""),
    ("TIMEZONE", "CHECKUP_TIMEZONE", str, "Asia/Shanghai"),
    ("MAIL_SERVER", "CHECKUP_MAIL_SERVER", str, None),
    ("MAIL_PORT", "CHECKUP_MAIL_PORT", int, 25),
    ("MAIL_USERNAME", "CHECKUP_MAIL_USERNAME", str, None),
    ("MAIL_PASSWORD", "CHECKUP_MAIL_PASSWORD", str, None),
    ("MAIL_USE_TLS", "CHECKUP_MAIL_USE_TLS", _bool, False),
    ("MAIL_SENDER", "CHECKUP_MAIL_SENDER", str, "Checkup Portal <no-reply@checkup.test>"),
    ("OUTBOX_DIR", "CHECKUP_OUTBOX_DIR", str, None),
    # accept addresses in the reserved `test` domain (RFC 2606: the demo's accounts are there) on the
    # registration and password forms; unset: yes while mail goes to the outbox folder, no with SMTP
    ("ALLOW_TEST_EMAIL_DOMAINS", "CHECKUP_ALLOW_TEST_EMAIL_DOMAINS", _bool, None),
    ("BASE_URL", "CHECKUP_BASE_URL", str, "http://127.0.0.1:5000"),
    ("FORCE_SECURE_COOKIES", "CHECKUP_SECURE_COOKIES", _bool, False),
    ("TRUST_PROXY", "CHECKUP_TRUST_PROXY", _bool, False),
    ("LOGIN_LIMIT_PER_IP", "CHECKUP_LOGIN_LIMIT_PER_IP", str, "30/minute;300/hour"),
    ("LOGIN_LIMIT_PER_ACCOUNT", "CHECKUP_LOGIN_LIMIT_PER_ACCOUNT", str, "5/minute;30/hour"),
    ("RATELIMIT_ENABLED", "CHECKUP_RATELIMIT_ENABLED", _bool, True),
    ("SESSION_HOURS", "CHECKUP_SESSION_HOURS", int, 12),
    # a login left unused this long ends (staff and HR / clients; never below 5 minutes)
    ("IDLE_MINUTES_STAFF", "CHECKUP_IDLE_MINUTES_STAFF", int, 30),
    ("IDLE_MINUTES_CLIENT", "CHECKUP_IDLE_MINUTES_CLIENT", int, 120),
    ("PASSWORD_RESET_MINUTES", "CHECKUP_PASSWORD_RESET_MINUTES", int, 60),
    ("JOBS_INLINE", "CHECKUP_JOBS_INLINE", _bool, False),
    ("CENTER_PHONE", "CHECKUP_CENTER_PHONE", str, "400-820-1234"),
    ("BOOKING_CUTOFF_HOURS", "CHECKUP_BOOKING_CUTOFF_HOURS", int, 24),
    ("WAITLIST_HOLD_HOURS", "CHECKUP_WAITLIST_HOLD_HOURS", int, 2),
    ("BOOKING_HORIZON_DAYS", "CHECKUP_BOOKING_HORIZON_DAYS", int, 120),
    # money (services/money): pay at the desk or before (a prepaid booking holds its places this long, then
    # is released); a refund after the cutoff keeps this share of what was charged; a refund above this
    # amount needs a second person; the payment provider for online orders ("manual": the desk confirms a
    # transfer) and the key its notifications are signed with (unset: derived from SECRET_KEY)
    ("PAYMENT_POLICY", "CHECKUP_PAYMENT_POLICY", str, "at_desk"),
    ("PAYMENT_HOLD_MINUTES", "CHECKUP_PAYMENT_HOLD_MINUTES", int, 30),
    ("REFUND_LATE_FEE_PERCENT", "CHECKUP_REFUND_LATE_FEE_PERCENT", str, "10"),
    ("REFUND_SECOND_PERSON_ABOVE", "CHECKUP_REFUND_SECOND_PERSON_ABOVE", str, "1000.00"),
    ("PAYMENT_PROVIDER", "CHECKUP_PAYMENT_PROVIDER", str, "manual"),
    ("PAYMENT_NOTIFY_KEY", "CHECKUP_PAYMENT_NOTIFY_KEY", str, None),
    # the language of mail and documents for a client who has no account or never chose a language
    ("CLIENT_LOCALE", "CHECKUP_CLIENT_LOCALE", str, "zh"),
    ("INVITATION_DAYS", "CHECKUP_INVITATION_DAYS", int, 14),  # a group invitation link lives this long
    ("REPORTS_DIR", "CHECKUP_REPORTS_DIR", str, None),
    # test-only hook: makes the PDF job slow enough to kill its worker mid-render
    ("REPORT_RENDER_DELAY_SECONDS", "CHECKUP_REPORT_RENDER_DELAY_SECONDS", float, 0.0),
    # group aggregates hide every cell of fewer than this many people (clamped to at least 5)
    ("SUPPRESSION_K", "CHECKUP_SUPPRESSION_K", int, 10),
    ("GROUP_DOCS_DIR", "CHECKUP_GROUP_DOCS_DIR", str, None),  # group summaries and billing statements
    # largest spreadsheet upload (roster import) in bytes; rosters with more rows than ROSTER_JOB_ROWS
    # are validated and imported as background jobs
    ("UPLOAD_MAX_BYTES", "CHECKUP_UPLOAD_MAX_BYTES", int, 10 * 1024 * 1024),
    ("ROSTER_JOB_ROWS", "CHECKUP_ROSTER_JOB_ROWS", int, 500),
    # seconds between a failed task's attempts (comma-separated; after the last, it is dead) and an upper
    # bound on how long a running task may hold its row before a dead worker's task is taken back.
    # Unset: 60,300,1800,7200,21600 and each kind's own lease (10 to 60 minutes).
    ("TASK_RETRY_DELAYS", "CHECKUP_TASK_RETRY_DELAYS", _seconds_list, None),
    # how long a staff member's break-the-glass access to a client's clinical record lasts
    ("BREAK_GLASS_MINUTES", "CHECKUP_BREAK_GLASS_MINUTES", int, 30),
    ("CHIEF_MAY_SIGN_OWN_STATIONS", "CHECKUP_CHIEF_MAY_SIGN_OWN_STATIONS", _bool, False),  # 主检 of own stations
    # the exam floor's station loads (overview, guidance) and a board's timed polls are read at most this
    # often per process (services/exam/station_queue.py); 0 reads them on every request
    ("FLOOR_LOADS_MAX_AGE_SECONDS", "CHECKUP_FLOOR_LOADS_MAX_AGE_SECONDS", float, 5.0),
    ("FLOOR_BOARD_MAX_AGE_SECONDS", "CHECKUP_FLOOR_BOARD_MAX_AGE_SECONDS", float, 2.0),
    ("TASK_LEASE_SECONDS", "CHECKUP_TASK_LEASE_SECONDS", int, None),
    # clients' data rights: where the ZIPs of their data are written (deleted after 7 days), how long
    # reports and results are kept, and after how long without an exam a client account is anonymized
    ("EXPORTS_DIR", "CHECKUP_EXPORTS_DIR", str, None),
    ("RECORD_RETENTION_YEARS", "CHECKUP_RECORD_RETENTION_YEARS", int, 30),
    ("INACTIVE_ACCOUNT_YEARS", "CHECKUP_INACTIVE_ACCOUNT_YEARS", int, 3),
]


def _secret_from_instance(instance_path, name):
    """Generate a secret once into the instance folder, so restarts keep sessions valid."""
    path = Path(instance_path) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def build_config(instance_path, overrides=None):
    """Return the settings dict for an app whose instance folder is ``instance_path``."""
    config = {}
    for key, env, parse, default in SETTINGS:
        raw = os.environ.get(env)
        config[key] = parse(raw) if raw not in (None, "") else default
    config.update(overrides or {})

    instance = Path(instance_path)
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{instance / 'checkup.db'}"
    if not config["CENTER_NAME_EN"]:
        config["CENTER_NAME_EN"] = config["CENTER_NAME"]
    if not config["OUTBOX_DIR"]:
        config["OUTBOX_DIR"] = str(instance / "outbox")
    if config["ALLOW_TEST_EMAIL_DOMAINS"] is None:
        config["ALLOW_TEST_EMAIL_DOMAINS"] = not config["MAIL_SERVER"]
    if not config["REPORTS_DIR"]:
        config["REPORTS_DIR"] = str(instance / "reports")
    if not config["GROUP_DOCS_DIR"]:
        config["GROUP_DOCS_DIR"] = str(instance / "group_documents")
    if not config["EXPORTS_DIR"]:
        config["EXPORTS_DIR"] = str(instance / "exports")
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _secret_from_instance(instance, "secret_key")
    if not config["NATIONAL_ID_KEY"]:
        config["NATIONAL_ID_KEY"] = _secret_from_instance(instance, "national_id_key")

    config.setdefault("RATELIMIT_STORAGE_URI", config["REDIS_URL"] or "memory://")
    config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    # Redis down or hanging: limits fall back to this process's memory (the limiter logs it) and a
    # storage error never fails a request; short socket timeouts keep a hanging Redis from hanging pages
    config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    if config["REDIS_URL"]:
        config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 1, "socket_connect_timeout": 1})
    config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    config.setdefault("SESSION_COOKIE_NAME", "checkup_session")
    config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # token lives as long as the session
    config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    config.setdefault("BABEL_DEFAULT_TIMEZONE", config["TIMEZONE"])
    config.setdefault("LANGUAGES", {"en": "English", "zh": "简体中文"})
    if config["CLIENT_LOCALE"] not in config["LANGUAGES"]:
        raise ValueError(f"CHECKUP_CLIENT_LOCALE must be one of {', '.join(config['LANGUAGES'])}")
    config.setdefault("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)
    # the request carrying the largest allowed upload (plus the form around it) must get through
    if config["MAX_CONTENT_LENGTH"] is not None:  # None: no limit at all
        config["MAX_CONTENT_LENGTH"] = max(config["MAX_CONTENT_LENGTH"], config["UPLOAD_MAX_BYTES"] + 1024 * 1024)
    return config


def center_identity(config, language):
    """The center's name, address and phone as a client reading ``language`` ("zh" or "en") sees them:
    {"name", "address", "phone"}. A Chinese name or address left empty falls back to the English one."""
    chinese = language == "zh"
    name_en, address_en = (
        config.get("CENTER_NAME_EN") or config.get("CENTER_NAME", ""),
        config.get("CENTER_ADDRESS_EN", ""),
    )
    return {
        "name": (config.get("CENTER_NAME_ZH") if chinese else "") or name_en,
        "address": (config.get("CENTER_ADDRESS_ZH") if chinese else "") or address_en,
        "phone": config.get("CENTER_PHONE", ""),
    }
