"""The benchmark (bench/, `make bench`): its hello views exist only when BENCH is on, and a rerun
keeps the hand-written part of its report."""

import pytest
from django.test import RequestFactory

from bench import views

pytestmark = pytest.mark.django_db


def test_the_bench_urls_are_off_by_default(client):
    assert client.get("/bench/hello/django/").status_code == 404


def test_the_django_hello_view_says_hello():
    response = views.django_hello(RequestFactory().get("/"))

    assert response.status_code == 200
    assert response.content == b'{"hello": "world"}'


def test_a_rerun_of_the_benchmark_keeps_the_hand_written_sections(tmp_path):
    from bench.run import kept_section

    report = tmp_path / "BENCHMARKS.md"
    report.write_text(
        "# Benchmarks\n\n| old table |\n\n## Data tiers\n\nSeed times.\n\n"
        "## Worker start-up and memory\n\nNotes.\n"
    )

    kept = kept_section(report, "## Data tiers")

    assert kept == "## Data tiers\n\nSeed times.\n\n## Worker start-up and memory\n\nNotes.\n"
    assert kept_section(report, "## Missing") == ""
