"""The stack the fault drills break: our own PostgreSQL and Redis on spare ports, gunicorn with two
workers and a Celery worker, all run as in production (DEBUG off, persistent database
connections with health checks). Never the machine's shared PostgreSQL or Redis.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import subprocess  # noqa: S404
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command

from tests.processes import (
    PostgresServer,
    RedisServer,
    free_port,
    start_postgres,
    start_redis,
    wait_for_port,
)

ROOT = Path(__file__).resolve().parents[2]
DRILL_DATABASE = "kuusikko_drill"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class Stack:
    postgres: PostgresServer
    redis: RedisServer
    web_port: int
    session_key: str
    env: dict[str, str]
    worker_log: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def request(
        self, method: str, path: str, *, signed_in: bool = True, body: str | None = None, **headers
    ) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", self.web_port, timeout=20)
        if signed_in:
            headers["Cookie"] = f"sessionid={self.session_key}"
        try:
            connection.request(method, path, body=body, headers=headers)
            reply = connection.getresponse()
            return Response(
                reply.status,
                {k.lower(): v for k, v in reply.getheaders()},
                reply.read().decode(errors="replace"),
            )
        finally:
            connection.close()

    def get(self, path: str, **headers) -> Response:
        return self.request("GET", path, **headers)

    def manage(self, *arguments: str) -> str:
        return run([sys.executable, "manage.py", *arguments], self.env)

    def send_task(self, name: str) -> str:
        """Enqueue a task by name through the broker; its id."""
        output = run(
            [sys.executable, "-m", "celery", "-A", "config", "call", name], self.env
        ).strip()
        return output.splitlines()[-1]

    def wait_for_task(self, task_id: str, timeout: float = 60) -> str:
        """'succeeded' or 'failed' as the worker logged it."""
        pattern = re.compile(rf"Task \S+\[{re.escape(task_id)}\] (succeeded|raised|failed)")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = pattern.search(self.worker_log.read_text(errors="replace"))
            if match:
                return match[1]
            time.sleep(0.2)
        raise TimeoutError(f"task {task_id} not finished in {timeout}s:\n{self.worker_tail()}")

    def worker_tail(self) -> str:
        return "\n".join(self.worker_log.read_text(errors="replace").splitlines()[-30:])


def run(command: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(  # noqa: S603
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise RuntimeError(f"{command} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


CREATE_SESSION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
user = get_user_model().objects.create_superuser("drill", "drill@kunta.example.fi", "x" * 20)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""


def wait_until_serving(stack: Stack, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if stack.get("/readyz", signed_in=False).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError("gunicorn did not become ready")


@pytest.fixture(scope="package")
def stack(django_db_setup, django_db_blocker):
    """The drill modules are marked django_db: that makes pytest-django create the test
    database even when only the drills run, and the stack starts from a copy of it."""
    postgres = start_postgres()
    redis = start_redis()
    workdir = Path(tempfile.mkdtemp(prefix="kuusikko-drill-"))
    processes: list[subprocess.Popen] = []
    running: Stack | None = None
    try:
        with psycopg.connect(postgres.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DRILL_DATABASE}")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO"))},
            "DJANGO_SETTINGS_MODULE": "tests.faults.drill_settings",
            "DATABASE_URL": postgres.database_url(DRILL_DATABASE),
            "REDIS_URL": redis.url,
            "DEBUG": "false",
            "SECRET_KEY": "fault-drill-secret-key-only-for-this-test-run-0123456789",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
        }
        # The migrated test database, copied over with our own backup and restore commands:
        # much faster than migrating a new database.
        backup = workdir / "schema.dump"
        with django_db_blocker.unblock():
            call_command("backup_db", output=str(backup))
        run([sys.executable, "manage.py", "restore_db", "--input", str(backup)], env)
        session_key = run([sys.executable, "manage.py", "shell", "-c", CREATE_SESSION], env)
        web_port = free_port()
        worker_log = workdir / "worker.log"
        processes.append(
            subprocess.Popen(  # noqa: S603
                [
                    *(sys.executable, "-m", "gunicorn", "config.wsgi"),
                    *("--workers", "2", "--bind", f"127.0.0.1:{web_port}"),
                    *("--error-logfile", str(workdir / "gunicorn.log")),
                ],
                cwd=ROOT,
                env=env,
            )
        )
        processes.append(
            subprocess.Popen(  # noqa: S603
                [
                    *(sys.executable, "-m", "celery", "-A", "config", "worker"),
                    *("--pool", "solo", "--loglevel", "INFO", "--logfile", str(worker_log)),
                    *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                ],
                cwd=ROOT,
                env=env,
            )
        )
        running = Stack(
            postgres,
            redis,
            web_port,
            session_key.strip().splitlines()[-1],
            env,
            worker_log,
            processes,
        )
        wait_for_port(web_port)
        wait_until_serving(running)
        yield running
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        # The Redis drill may have replaced the server with a new one on the same port.
        (running.redis if running else redis).kill()
        postgres.remove()
        shutil.rmtree(workdir, ignore_errors=True)
