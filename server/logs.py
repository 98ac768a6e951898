"""Logging: readable lines in development, one JSON object a line in production. Neither ever
holds a credential: a download link's `token` is written `token=…`. Nor what a GraphQL operation
sent by GET carries in its URL (`query=…`, `variables=…`): a client's name searched for is
personal data, and a document makes a line of kilobytes."""

import json
import logging
import re

# A token in a query string (`?token=`, `&access_token=`...) up to the next parameter, and a GET
# operation's document and variables.
TOKEN = re.compile(r"(token=|(?<=[?&])(?:query|variables)=)[^&\s\"'#]+", re.IGNORECASE)


def redact(text: str) -> str:
    return TOKEN.sub(r"\1…", text)


class RedactTokens(logging.Filter):
    """Writes every token in a record's message as `token=…`. A download link is a bearer
    credential for an hour, and logs are kept longer and read by more people than the link's
    owner."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record: the handler reports it, as ever
            return True
        if not TOKEN.search(message):
            return True
        if isinstance(record.args, tuple):
            # The arguments redacted one by one keep the record's shape: uvicorn's access
            # formatter unpacks them (the path with its query string is one of them).
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if record.getMessage() != redact(message):  # a token split over format and arguments
            record.msg, record.args = redact(message), ()
        return True


REDACT_TOKENS = RedactTokens()  # one instance: adding it again is a no-op


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(production: bool) -> None:
    handler = logging.StreamHandler()
    if production:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(REDACT_TOKENS)
    root = logging.getLogger("downline")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False
    # uvicorn logs each request's path with its query string, whichever handler writes it.
    logging.getLogger("uvicorn.access").addFilter(REDACT_TOKENS)
