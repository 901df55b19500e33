"""What every benchmark needs: a throw-away database, the app configured on it and, when it runs, Redis."""

import os
import socket

from checkup import create_app


def make_database(kind, folder, label="bench"):
    """(database URL, drop callback): a SQLite file in ``folder``, or a fresh PostgreSQL database
    (127.0.0.1:5432 as postgres) that the callback drops again."""
    if kind == "sqlite":
        return f"sqlite:///{folder}/bench.db", lambda: None
    import psycopg2

    name = f"checkup_{label}_{os.getpid()}"
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")

    def drop():
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()

    return f"postgresql://postgres@127.0.0.1:5432/{name}", drop


def redis_url():
    """Redis DB 15 on 127.0.0.1 when it answers, else None (jobs then run inline)."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return "redis://127.0.0.1:6379/15"
    except OSError:
        return None


def bench_app(folder, database_url, **config):
    """The app a benchmark measures: its database at ``database_url``, instance and outbox in
    ``folder``, throw-away keys, no Redis; ``config`` adds or overrides settings (``REDIS_URL=...``)."""
    return create_app(
        {
            "INSTANCE_PATH": folder,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench",
            "REDIS_URL": None,
            "NATIONAL_ID_KEY": "bench",
            "OUTBOX_DIR": f"{folder}/outbox",
            **config,
        }
    )
