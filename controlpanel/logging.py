"""JSON log lines, one per record, with user text made safe for line-based log readers."""

import json
import logging

from django.http import HttpRequest

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_SECRET_KEYS = {"password", "token", "access", "refresh", "authorization", "secret"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object on one line.

    ``json.dumps`` escapes CR and LF inside values, so user text can never forge a log line.
    Extra fields whose name looks like a credential are dropped rather than logged, and a
    request attached to a record (Django does that for 4xx/5xx) is logged as method and path
    only: its query string may carry a token a client wrongly put in the URL.
    """

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key in _RESERVED or key.startswith("_"):
                continue
            if key.lower() in _SECRET_KEYS:
                continue
            if isinstance(value, HttpRequest):
                value = f"{value.method} {value.path}"
            payload[key] = value
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)
