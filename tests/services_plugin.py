"""pytest plugin: with KUUSIKKO_REQUIRE_SERVICES=1 in the environment, a skipped test fails.

Tests may skip themselves when a service they need (Redis, a browser) is missing on a
developer's machine. CI (.ci/run) provides every service, so there a skip would only hide a
broken setup: the switch turns each skip — at collection, setup or call — into a failure.
Expected failures (xfail) stay as they are. Loaded through `addopts` in pyproject.toml.
"""

import os

import pytest

SWITCH = "KUUSIKKO_REQUIRE_SERVICES"


def _services_required() -> bool:
    return os.environ.get(SWITCH, "").strip() not in ("", "0")


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    # A skip's longrepr is (path, lineno, "Skipped: reason").
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return str(report.longrepr[2])
    return str(report.longrepr)


def _fail_instead_of_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        report.longrepr = f"{SWITCH}=1 makes skipped tests fail. {_skip_reason(report)}"
        report.outcome = "failed"


def pytest_report_header(config: pytest.Config) -> str:
    return f"{SWITCH}: {'on, skips fail' if _services_required() else 'off'}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    report = yield
    if _services_required():
        _fail_instead_of_skip(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> pytest.CollectReport:
    report = yield
    if _services_required():
        _fail_instead_of_skip(report)
    return report
