"""The one-run benchmark (issue 8): `make bench TIER=S` or `python -m bench.run --tier S`.

Against a database seeded with `seed_demo --tier`, it starts gunicorn (one sync worker per
core, persistent database connections) and, with wrk at one concurrency for all (by default
one connection per worker: each request's latency is its service time, not its wait behind
another request in the worker's queue; the req/s is the same as with two per worker, measured):
- the floors: a Django hello view and a DRF hello view (bench/views.py, BENCH=true only),
- for each read, the hand-written SQL equivalent through psycopg directly (same concurrency),
- each endpoint through gunicorn (a demo user's token; a sync worker closes the connection
  after each response, and wrk opens the next).
Per endpoint: p50/p95/p99 latency, req/s, SQL queries per request (one in-process request under
CaptureQueriesContext), response bytes, and the ratios endpoint/SQL and endpoint/hello; peak
worker RSS (psutil) over the run. Writes bench/results-<tier>.json and docs/BENCHMARKS.md.

Never part of the test suite: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "report.lua"

# The server and this process see the same settings: production-like, bench views on, no HTTPS
# redirect on the loopback, rate limits out of the way.
BENCH_ENV = {
    "DEBUG": "false",
    "BENCH": "true",
    "SECURE_SSL_REDIRECT": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "API_THROTTLE_USER": "100000000/minute",
    "API_THROTTLE_SEARCH": "100000000/minute",
    "API_THROTTLE_ANON": "100000000/minute",
    "CONN_MAX_AGE": "600",
    # The due reminders are the reminder benchmark's: no sweep inside the web workers.
    "REMINDERS_IN_PROCESS": "false",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with `workers` sync workers; samples the workers' RSS until stopped."""

    def __init__(self, workers: int, gunicorn: str | None = None) -> None:
        self.port = free_port()
        self.workers = workers
        self.gunicorn = gunicorn or str(Path(sys.executable).parent / "gunicorn")
        self.peak_rss = 0
        self._stop = threading.Event()

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(  # noqa: S603 - fixed argument list
            [
                self.gunicorn,
                "config.wsgi",
                f"--workers={self.workers}",
                "--worker-class=sync",
                f"--bind=127.0.0.1:{self.port}",
                "--keep-alive=75",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env={**os.environ, **BENCH_ENV},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/bench/hello/django/", timeout=2)  # noqa: S310  # nosec B310: own http URL
                break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("gunicorn did not answer within 60 s")
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _sample(self) -> None:
        import psutil

        master = psutil.Process(self.process.pid)
        while not self._stop.wait(0.2):
            for child in master.children():
                try:
                    self.peak_rss = max(self.peak_rss, child.memory_info().rss)
                except psutil.Error:
                    pass

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def run_wrk(
    url: str, *, token: str, connections: int, seconds: int, body: str = "", cookie: str = ""
) -> dict:
    output = subprocess.run(  # noqa: S603 - fixed argument list
        [
            shutil.which("wrk") or "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout=10s",
            "-s",
            str(LUA),
            url,
        ],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "BENCH_TOKEN": "" if cookie else token,
            "BENCH_COOKIE": cookie,
            "BENCH_BODY": body,
        },
        check=True,
    ).stdout
    data = json.loads(re.search(r"BENCH_JSON (\{.*\})", output)[1])
    seconds_run = data["duration_us"] / 1e6
    return {
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "rps": data["requests"] / seconds_run,
        "requests": data["requests"],
        "errors": data["errors"],
    }


def run_sql(dsn: str, sql: str, params, *, connections: int, seconds: int) -> dict:
    """The query alone, through psycopg, from `connections` threads for `seconds`."""
    import psycopg

    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker() -> None:
        mine = []
        with psycopg.connect(dsn, autocommit=True) as conn:
            while time.monotonic() < stop:
                started = time.perf_counter()
                conn.execute(sql, params).fetchall()
                mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {
        "p50_ms": quantiles[49] * 1000,
        "p95_ms": quantiles[94] * 1000,
        "p99_ms": quantiles[98] * 1000,
        "rps": len(latencies) / seconds,
        "requests": len(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", default="S")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument(
        "--gunicorn",
        default=None,
        help="the server's gunicorn (make bench: a virtualenv of requirements.txt alone); "
        "default: this virtualenv's",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=None,
        help="wrk's connections and the SQL floor's threads; default: one per worker",
    )
    parser.add_argument("--json", default=None, help="default: bench/results-<tier>.json")
    parser.add_argument("--markdown", default=str(ROOT / "docs" / "BENCHMARKS.md"))
    parser.add_argument(
        "--reminders",
        type=int,
        default=0,
        help="also run `bench_reminders --count N --workers 2` against the scratch database "
        "BENCH_REMINDERS_DATABASE_URL (migrated here; it must hold no due reminders)",
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated scenario names to measure (with the two hello views); the "
        "results go to bench/results-<tier>-only.json and the terminal, not docs/",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("make bench needs wrk (Debian/Ubuntu: apt-get install wrk)")

    os.environ.update(BENCH_ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    from bench.scenarios import prepare, remove_logged_meetings

    # Measure a settled database, as autovacuum keeps one: fresh planner statistics, and the
    # GIN indexes' pending lists merged. Straight after seeding, tier S planned the name search
    # as a sequential scan (no statistics) and the trigram index scans walked megabytes of
    # pending entries: 15 ms instead of 0.15 ms.
    print("… VACUUM (ANALYZE)", file=sys.stderr, flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")

    workers = os.cpu_count() or 1
    connections = args.connections or workers
    scenarios, token, dsn, sizes = prepare()
    only = {name for name in args.only.split(",") if name}
    if only:
        unknown = only - {scenario.name for scenario in scenarios}
        if unknown:
            sys.exit(f"--only: no scenario named {', '.join(sorted(unknown))}")
        only |= {"hello_django", "hello_drf"}
        scenarios = [scenario for scenario in scenarios if scenario.name in only]
    results = []
    with Server(workers, args.gunicorn) as server:
        for scenario in scenarios:
            print(f"… {scenario.name}", file=sys.stderr, flush=True)
            row = {"name": scenario.name, "label": scenario.label, **scenario.measure_once()}
            row["http"] = run_wrk(
                server.url + scenario.path,
                token=token,
                connections=connections,
                seconds=args.seconds,
                body=scenario.body,
                cookie=scenario.cookie,
            )
            floors = (
                ("sql", scenario.sql, scenario.sql_params),
                ("sql_same_data", scenario.same_data_sql, scenario.same_data_params),
            )
            for key, sql, params in floors:
                if sql:
                    row[key] = run_sql(
                        dsn, sql, params, connections=connections, seconds=args.seconds
                    )
            results.append(row)
        peak_rss = server.peak_rss
    if any(scenario.body for scenario in scenarios):
        removed = remove_logged_meetings()
        print(f"… removed the {removed} meetings logged by the run", file=sys.stderr, flush=True)
    reminders = run_reminders(args.reminders) if args.reminders else None
    hello = {row["name"]: row["http"] for row in results}
    for row in results:
        http = row["http"]
        if "sql" in row:
            row["endpoint_over_sql_p50"] = http["p50_ms"] / row["sql"]["p50_ms"]
        if "sql_same_data" in row:
            row["endpoint_over_same_data_sql_p50"] = http["p50_ms"] / row["sql_same_data"]["p50_ms"]
        row["share_of_drf_hello_rps"] = http["rps"] / hello["hello_drf"]["rps"]
        row["endpoint_over_hello_p50"] = http["p50_ms"] / hello["hello_django"]["p50_ms"]
    report = {
        "tier": args.tier,
        "sizes": sizes,
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "workers": workers,
        "connections": connections,
        "seconds_per_run": args.seconds,
        "peak_worker_rss_mb": peak_rss / 2**20,
        "server_packages": "requirements.txt only" if args.gunicorn else "this virtualenv's",
        "results": results,
        "reminders": reminders,
    }
    suffix = "-only" if only else ""
    json_path = Path(args.json or ROOT / "bench" / f"results-{args.tier}{suffix}.json")
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    if only:  # a partial run leaves the full table alone
        print(markdown(report))
        return
    Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
    kept = kept_section(Path(args.markdown), "## Data tiers")
    Path(args.markdown).write_text(markdown(report) + (f"\n{kept}" if kept else ""))
    print(markdown(report))


def kept_section(path: Path, heading: str) -> str:
    """The Markdown file from the section under `heading` to its end: written by hand (the
    build times of the seed tiers, the memory notes, comparisons), it outlives the benchmark's
    rewrite of the part above it."""
    if not path.exists():
        return ""
    lines = path.read_text().splitlines(keepends=True)
    if heading + "\n" not in lines:
        return ""
    return "".join(lines[lines.index(heading + "\n") :]).rstrip() + "\n"


def run_reminders(count: int) -> dict:
    """The reminder engine's own benchmark (advocacy bench_reminders), 2 worker processes."""
    url = os.environ.get("BENCH_REMINDERS_DATABASE_URL")
    if not url:
        sys.exit("--reminders needs BENCH_REMINDERS_DATABASE_URL (a scratch database)")
    env = {**os.environ, **BENCH_ENV, "DATABASE_URL": url}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    started = time.monotonic()
    output = subprocess.run(  # noqa: S603 - fixed argument list
        [*manage, "bench_reminders", f"--count={count}", "--workers=2", "--mode=processes"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {
        "count": count,
        "workers": 2,
        "wall_s": time.monotonic() - started,
        "lines": [line for line in output.splitlines() if line.strip()],
    }


def machine() -> dict:
    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": postgres,
    }


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/run.py); the figures below are one run on one machine,",
        "not a promise. The JSON of the same run is in `bench/results-<tier>.json`.",
        "",
        f"- tier **{report['tier']}**: "
        + ", ".join(f"{count:,} {what}" for what, count in report["sizes"].items()),
        f"- machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; {m['os']}; "
        f"Python {m['python']}, PostgreSQL {m['postgresql']}",
        f"- gunicorn: {report['workers']} sync workers (one per core), persistent database "
        f"connections; wrk: {report['connections']} connections (one request at a time each), "
        f"{report['seconds_per_run']} s per run; the SQL floor from as many psycopg "
        "connections",
        f"- peak worker RSS: **{report['peak_worker_rss_mb']:.0f} MB** (the server's packages: "
        f"{report.get('server_packages', 'this virtualenv')})",
        f"- run at {report['when']}",
        "",
        "| what | p50 ms | p95 ms | p99 ms | req/s | SQL p50 ms | endpoint/SQL (p50) "
        "| % of DRF hello req/s | queries | bytes | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in report["results"]:
        http, sql = row["http"], row.get("sql")
        lines.append(
            f"| {row['label']} | {http['p50_ms']:.2f} | {http['p95_ms']:.2f} "
            f"| {http['p99_ms']:.2f} | {http['rps']:.0f} "
            f"| {sql['p50_ms']:.2f} | {row['endpoint_over_sql_p50']:.1f}× "
            if sql
            else f"| {row['label']} | {http['p50_ms']:.2f} | {http['p95_ms']:.2f} "
            f"| {http['p99_ms']:.2f} | {http['rps']:.0f} | – | – "
        )
        lines[-1] += (
            f"| {100 * row['share_of_drf_hello_rps']:.0f}% | {row['queries']} "
            f"| {row['bytes']:,} | {http['errors']} |"
        )
    lines += [
        "",
        "Targets of issue 8 are stated for tier L; this table is the tier named above.",
        "The SQL floor of a read is its main query alone (no authentication, no prefetches),",
        "from psycopg (for the dashboard page: its list of the user's own meetings); the write",
        "has none. The dashboard is a web page signed in by a session cookie (its session row is",
        "saved on every request, SESSION_SAVE_EVERY_REQUEST).",
        "",
    ]
    whole = [row for row in report["results"] if "sql_same_data" in row]
    if whole:
        lines += [
            "The main query leaves out part of what a contacts page returns: the tags, the",
            "relationship owners and the meetings with each person that the user may see. One",
            "hand-written query that returns all of it (`contacts_page_whole` in",
            "bench/scenarios.py):",
            "",
            "| what | SQL of the same data, p50 ms | p95 ms | endpoint/that SQL (p50) |",
            "| --- | ---: | ---: | ---: |",
            *(
                f"| {row['label']} | {row['sql_same_data']['p50_ms']:.2f} "
                f"| {row['sql_same_data']['p95_ms']:.2f} "
                f"| {row['endpoint_over_same_data_sql_p50']:.1f}× |"
                for row in whole
            ),
            "",
        ]
    reminders = report.get("reminders")
    if reminders:
        lines += [
            f"## Reminder throughput: {reminders['count']:,} due reminders, "
            f"{reminders['workers']} worker processes",
            "",
            "`manage.py bench_reminders` (claim, deliver to the outbox or the app, mark; then "
            "relay the e-mail with the locmem backend) on a scratch database:",
            "",
            "```",
            *reminders["lines"],
            "```",
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
