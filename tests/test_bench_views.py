"""The benchmark's hello views exist only when BENCH is on (bench/, `make bench`)."""

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
