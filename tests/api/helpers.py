"""Small helpers of the REST API tests."""

from __future__ import annotations


def results(response) -> list[dict]:
    """The rows of a (page- or cursor-) paginated list response."""
    assert response.status_code == 200, response.content
    return response.json()["results"]


def ids(response) -> list[int]:
    return [row["id"] for row in results(response)]
