"""Fault drills with a real Redis and real Celery workers and beat, as separate processes.

Each drill starts its own redis-server on a spare port (never the shared one on 6379: drills
stop and flush it), and Celery workers / beat schedulers as subprocesses that use the pytest
test database (so the test must use `django_db(transaction=True)`: they only see committed
rows). Every process started here is stopped by the fixture's finaliser.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
import redis
from django.conf import settings
from django.db import connection

from advocacy.models import Channel, Notification, OutboxEmail, Reminder, ReminderState
from config.celery import app as celery_app
from tests.processes import free_port

CELERY = str(Path(sys.executable).with_name("celery"))
REDIS_SERVER = shutil.which("redis-server")

requires_redis_server = pytest.mark.skipif(
    REDIS_SERVER is None, reason="the drills need redis-server on PATH"
)


def wait_until(
    condition: Callable[[], bool], *, timeout: float, what: str, logs: Callable[[], str] = str
) -> None:
    """Poll `condition` until it holds; fail with `what` (and the processes' logs) if it never
    does within `timeout` seconds. A deadline against hanging, not a timed assertion."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Gave up waiting for {what} after {timeout} s\n{logs()}")
        time.sleep(0.1)


def database_url_for_workers() -> str:
    """A URL for the pytest test database (test_<name>), for the worker subprocesses."""
    params = connection.settings_dict
    user = quote(params["USER"] or "")
    password = f":{quote(params['PASSWORD'])}" if params["PASSWORD"] else ""
    host = params["HOST"] or ""
    name = quote(connection.settings_dict["NAME"])
    if host.startswith("/"):  # a Unix socket (the embedded server)
        query = urlencode({"host": host, "port": params["PORT"] or 5432})
        return f"postgres://{user}{password}@/{name}?{query}"
    port = f":{params['PORT']}" if params["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{name}"


class RedisServer:
    """A private redis-server that a drill may stop, restart and flush."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (our own argv, no shell)
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.workdir), "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until(self._answers, timeout=20, what=f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        try:
            return self.client().ping()
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        """Shut down, losing everything it held (as a crashed broker without persistence)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def messages(self) -> list[dict]:
        """Every task message Redis holds: queued (lists) and delivered but unacknowledged."""
        client = self.client()
        found = []
        for key in client.keys("*"):
            kind = client.type(key)
            if kind == b"list":
                found += [json.loads(raw) for raw in client.lrange(key, 0, -1)]
            elif kind == b"hash" and key == b"unacked":
                found += [json.loads(raw)[0] for raw in client.hvals(key)]
        return [m for m in found if isinstance(m, dict) and "headers" in m]


class CeleryProcess:
    def __init__(self, args: list[str], env: dict[str, str], log: Path):
        self.log = log
        self.handle = log.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 (our own argv, no shell)
            [CELERY, *args],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as a whole
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def signal(self, signum: int) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signum)

    def stop(self) -> None:
        self.signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.handle.close()

    def kill(self) -> None:
        """SIGKILL: no cleanup, no acknowledgement, an open transaction dies with it."""
        self.signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.handle.close()


class Drill:
    """Redis, workers and beat for one test, and what they need to share."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.redis = RedisServer(workdir)
        self.processes: list[CeleryProcess] = []
        self.mail_dir = workdir / "mail"
        self.mail_dir.mkdir()

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": settings.SECRET_KEY,
            "DATABASE_URL": database_url_for_workers(),
            "CONN_MAX_AGE": "0",
            "REDIS_URL": self.redis.url,
            "REMINDERS_IN_PROCESS": "false",
            "REMINDER_SWEEP_INTERVAL": "1",
            "REMINDER_BATCH_SIZE": "25",
            "EMAIL_URL": "filemail://",
            "EMAIL_FILE_PATH": str(self.mail_dir),
            "PYTHONPATH": str(settings.BASE_DIR),
            "LOG_LEVEL": "INFO",
        }
        env.update(extra)
        return env

    def start_worker(self, name: str, app: str = "config", **env: str) -> CeleryProcess:
        args = ["-A", app, "worker", "--pool=solo", "--loglevel=INFO", f"--hostname={name}@%h"]
        args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        worker = CeleryProcess(args, self.env(**env), self.workdir / f"{name}.log")
        self.processes.append(worker)
        wait_until(
            lambda: " ready." in worker.output() or worker.process.poll() is not None,
            timeout=60,
            what=f"worker {name} to start",
            logs=self.logs,
        )
        assert worker.process.poll() is None, worker.output()
        return worker

    def start_beat(self, name: str, **env: str) -> CeleryProcess:
        schedule = self.workdir / f"{name}-schedule"
        args = ["-A", "config", "beat", "--loglevel=INFO", f"--schedule={schedule}"]
        beat = CeleryProcess(args, self.env(**env), self.workdir / f"{name}.log")
        self.processes.append(beat)
        return beat

    def logs(self) -> str:
        return "\n".join(f"--- {p.log.name} ---\n{p.output()[-4000:]}" for p in self.processes)

    def sent_emails(self) -> list[str]:
        """The Message-IDs of every e-mail the workers' file backend wrote, repeats included."""
        ids = []
        for path in self.mail_dir.iterdir():
            ids += re.findall(r"^Message-ID: (<kuusikko-outbox-[^>]+>)", path.read_text(), re.M)
        return ids

    def stop_all(self) -> None:
        for process in self.processes:
            if process.process.poll() is None:
                process.stop()
        self.redis.stop()


@pytest.fixture
def drill(transactional_db, tmp_path):
    drill = Drill(tmp_path)
    drill.redis.start()
    yield drill
    drill.stop_all()


@pytest.fixture
def real_broker(drill):
    """Make this test process publish to the drill's Redis instead of running tasks eagerly."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager

    def reset_pools():
        if celery_app._pool is not None:
            celery_app._pool.force_close_all()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    conf.broker_url, conf.task_always_eager = drill.redis.url, False
    reset_pools()
    yield drill
    reset_pools()
    conf.broker_url, conf.task_always_eager = saved


# --- Checking the outcome --------------------------------------------------------------------


def assert_each_delivered_exactly_once(reminder_ids: list[int]) -> None:
    """Every reminder sent, with exactly one message in its own channel, and no stray message."""
    reminders = Reminder.objects.filter(pk__in=reminder_ids)
    states = dict(reminders.values_list("pk", "state"))
    not_sent = {pk: state for pk, state in states.items() if state != ReminderState.SENT}
    assert not not_sent, f"not sent: {not_sent}"
    by_email = set(reminders.filter(channel=Channel.EMAIL).values_list("pk", flat=True))
    in_app = set(states) - by_email
    outbox = list(OutboxEmail.objects.values_list("reminder_id", flat=True))
    notifications = list(Notification.objects.values_list("reminder_id", flat=True))
    assert sorted(outbox) == sorted(by_email)
    assert sorted(notifications) == sorted(in_app)


def all_sent(reminder_ids: list[int]) -> Callable[[], bool]:
    def check() -> bool:
        return Reminder.objects.filter(
            pk__in=reminder_ids, state=ReminderState.SENT
        ).count() == len(reminder_ids)

    return check
