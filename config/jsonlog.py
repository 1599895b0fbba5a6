"""A log formatter that writes one JSON object a line (the security log; LOG_FORMAT=json).

Kept apart from config/security.py because logging is configured before the apps are loaded.
"""

import json
import logging
from datetime import UTC, datetime
from typing import Any


class JsonLinesFormatter(logging.Formatter):
    """time (UTC, ISO 8601), level, logger, event (the message), the record's `security` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        line.update(getattr(record, "security", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
