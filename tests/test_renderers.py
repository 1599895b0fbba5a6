"""The API's JSON renderer (config/renderers.py) writes the bytes DRF's renderer writes."""

import dataclasses
import datetime
import decimal
import json
import uuid
import zoneinfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.test import APIClient
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from config.renderers import JSONRenderer
from crm.models import InfluenceLevel, Role

HELSINKI = zoneinfo.ZoneInfo("Europe/Helsinki")

VALUES = {
    "text": 'Pöyhönen, Mäkelä & Åström – ”lainaus” \\ / " \n\t\x00 😀',
    # DRF escapes the JavaScript line and paragraph separators.
    "separators": "rivi\u2028kappale\u2029loppu",
    "numbers": [0, -1, 2**63 - 1, -(2**63), True, False, None],
    "utc": datetime.datetime(2026, 11, 29, 12, 30, 5, 123456, tzinfo=datetime.UTC),
    "helsinki": datetime.datetime(2026, 6, 1, 9, 0, tzinfo=HELSINKI),
    "naive": datetime.datetime(2026, 1, 2, 3, 4, 5),  # noqa: DTZ001  (as DRF writes one)
    "date": datetime.date(2026, 2, 28),
    "time": datetime.time(14, 15),
    "duration": datetime.timedelta(hours=1, seconds=3),
    "decimal": decimal.Decimal("12.50"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "lazy": gettext_lazy("Meetings"),
    "choices": [Role.TRUSTEE, InfluenceLevel.HIGH],
    "int keys": {1: "yksi", 2: "kaksi"},
    "tuple": (1, "a"),
    "nested": ReturnDict({"rows": ReturnList([{"id": 1}], serializer=None)}, serializer=None),
    "empty": [{}, [], ""],
}


def drf_bytes(data, media_type=None, context=None) -> bytes:
    return renderers.JSONRenderer().render(data, media_type, context)


def test_the_bytes_are_drfs_for_every_kind_of_value():
    assert JSONRenderer().render(VALUES) == drf_bytes(VALUES)
    for key, value in VALUES.items():
        assert JSONRenderer().render({key: value}) == drf_bytes({key: value}), key


def test_the_separators_are_escaped():
    assert b"\\u2028" in JSONRenderer().render(["\u2028"])
    assert "\u2028".encode() not in JSONRenderer().render(["\u2028\u2029"])


def test_a_float_is_the_same_number():
    data = {"share": 0.1, "big": 1e16, "small": 1.5e-7, "whole": 2.0}
    assert json.loads(JSONRenderer().render(data)) == json.loads(drf_bytes(data)) == data


def test_nothing_renders_as_nothing_and_indented_output_is_drfs():
    assert JSONRenderer().render(None) == b""
    indented = JSONRenderer().render(VALUES, "application/json; indent=4")
    assert indented == drf_bytes(VALUES, "application/json; indent=4")
    assert b"\n    " in indented
    assert JSONRenderer().render(VALUES, None, {"indent": 2}) == drf_bytes(
        VALUES, None, {"indent": 2}
    )


def test_what_drf_cannot_write_is_refused_as_drf_refuses_it():
    @dataclasses.dataclass
    class Point:
        x: int

    for value in (Point(1), object()):
        with pytest.raises(TypeError):
            drf_bytes({"value": value})
        with pytest.raises(TypeError):
            JSONRenderer().render({"value": value})


@pytest.mark.django_db
def test_the_api_answers_with_it(trustee):
    client = APIClient()
    client.force_authenticate(trustee)
    response = client.get("/api/v1/topics/")
    assert response.status_code == 200
    assert isinstance(response.accepted_renderer, JSONRenderer)
    assert response.content == drf_bytes(response.data)
