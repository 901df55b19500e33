"""What every benchmark needs: a throw-away database and, when it runs, Redis."""

import os
import socket


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
