"""The API's JSON renderer: DRF's output, encoded by orjson.

DRF's renderer encodes with the standard library's `json` and a Python `default` hook: on a
page of 50 contacts (35 kB) 0.19 ms, on a meetings search page (50 kB) 0.39 ms; orjson writes
the same bytes in a twentieth of that (make bench, tier L). What orjson would write otherwise
than DRF goes through DRF's own encoder, so the bytes are the same (tests/test_renderers.py):
dates and times (DRF writes UTC with "Z"), Decimal, lazy translations, dataclasses. Indented
output (the browsable API, `Accept: application/json; indent=4`) is DRF's renderer unchanged.

Two differences remain, neither reachable from our serializers: a float is written in its
shortest form (1e16, where `json` writes 1e+16: the same number), and NaN or infinity
becomes null where DRF's strict mode raises (a 500).
"""

from __future__ import annotations

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)
_default = JSONEncoder().default

# DRF escapes these two (valid JSON, but not valid JavaScript before ES2019); so do we.
_LINE_SEPARATOR, _PARAGRAPH_SEPARATOR = "\u2028".encode(), "\u2029".encode()


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if (
            data is None
            or not self.compact
            or self.ensure_ascii
            or self.get_indent(accepted_media_type, renderer_context or {}) is not None
        ):
            return super().render(data, accepted_media_type, renderer_context)
        encoded = orjson.dumps(data, default=_default, option=_OPTIONS)
        if b"\xe2\x80" in encoded:  # the UTF-8 lead bytes of both separators
            encoded = encoded.replace(_LINE_SEPARATOR, b"\\u2028").replace(
                _PARAGRAPH_SEPARATOR, b"\\u2029"
            )
        return encoded
