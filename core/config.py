"""Settings, read from the environment (prefix DOWNLINE_), as the README lists them."""

import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from downline.core.private import FILE_MODE, private_dir


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DOWNLINE_", extra="ignore", use_attribute_docstrings=True
    )

    env: str = "development"
    var_dir: Path = Path("var")
    database_url: str = ""  # default: sqlite file under var_dir
    broker_url: str | None = None
    redis_url: str | None = None
    queue: str = "downline"  # the Dramatiq queue name on the broker
    storage_url: str = ""  # default: file://<var_dir>/files
    secret_key: str = ""  # default: generated once into <var_dir>/secret.key
    token_ttl: int = 86400
    jwt_issuer: str | None = None
    jwks_url: str | None = None
    jwt_audience: str | None = None
    jwt_email_claim: str = "email"
    s3_endpoint_url: str | None = None
    max_upload_mb: int = 200
    max_query_bytes: int = Field(default=1_000_000, ge=1)
    """The largest GraphQL request body that is not an upload, comments and whitespace included
    (413 beyond). Refused unread when Content-Length says so, else counted while it is read."""
    max_query_cost: int = Field(default=50_000, ge=1)
    """The most objects one operation may ask for: a list costs its `first` (or its default page)
    times the cost of what it selects, summed over the operation (schema/cost.py). Beyond it,
    BAD_USER_INPUT naming the cost and the limit, before anything runs."""
    max_active_jobs_per_user: int = Field(default=5, ge=1)
    """Exports, and separately carrier reports, one user may have QUEUED or PROCESSING at once
    through the API; one more is refused with RATE_LIMITED (audited). The operator's own
    commands (`downline export --as`, `downline ingest --as`) run their job themselves, beside
    the workers, and are never refused by it."""
    max_running_jobs_per_user: int = Field(default=2, ge=1)
    """Exports, and separately carrier reports, of one user that the workers run at once; the
    user's other jobs wait their turn even with a worker idle. A job's CPU is the machine's, not
    the worker's: without this, one user's backlog would take every CPU and slow everyone's
    pages and small exports, however fairly the next job is chosen."""
    long_job_share: float = Field(default=0.25, gt=0, le=1)
    """The share of the time a user's long jobs (past their first second) work, together,
    while another user is active: they pause between pieces of their work for the rest, so that
    the others' pages and small exports are not slowed by their CPU, in the worker or in the
    database. 1: long jobs never pause. Nobody else active, a long job runs at full speed."""
    max_sockets_per_user: int = Field(default=20, ge=1)
    """WebSockets one user may hold open at once in one API process; one more is closed with
    4429 "Too many connections" as soon as it signs in. Counted per process: behind N API
    processes a user may hold N times this many."""
    ws_init_seconds: float = Field(default=10.0, gt=0)
    """Seconds a WebSocket of either protocol (graphql-transport-ws, legacy graphql-ws) has to
    send its connection_init; one that has not by then is closed with 4408 "Connection
    initialisation timeout"."""
    db_pool_size: int = Field(default=40, ge=1)
    """Database connections one process may hold at once, each kept open once opened. The API
    runs requests on as many worker threads (database work, large documents), less those the
    in-process job workers may hold, so that a request's thread does not wait for a connection;
    an HTTP request holds one connection from its sign-in to its answer. The API processes times
    this must fit in PostgreSQL's max_connections."""
    db_pool_timeout: float = Field(default=5.0, gt=0)
    """Seconds a request waits for a database connection before it is answered 503 ("the
    database is busy; try again", with Retry-After) instead of hanging."""
    job_stale_seconds: int = Field(default=45, ge=1)
    """Seconds without a heartbeat (renewed every 10 s) after which a PROCESSING job's worker is
    taken for dead and the job is sent again. With the sweep every 15 s, a killed worker's job is
    back on another worker within about a minute."""
    # A job whose worker died this many times (a file that crashes its reader) is FAILED and
    # never sent again: otherwise the sweep hands it to the next worker, which dies the same way.
    job_max_attempts: int = Field(default=3, ge=1)
    report_time_limit_seconds: float = Field(default=6 * 3600, gt=0)
    """Seconds a carrier report may run on a worker; past them it stops at its next batch of
    rows and is FAILED, saying so, with nothing of it kept (core/jobs.py)."""
    export_time_limit_seconds: float = Field(default=2 * 3600, gt=0)
    """The same for an export."""
    # Unset: links use the address the request came to (core/exports/links.py).
    public_url: str | None = None
    download_link_ttl: int = 3600
    export_retention_days: int = 30
    smtp_url: str | None = None
    mail_from: str = "downline@localhost"
    sweep_seconds: float = 15.0  # how often each API process sweeps for lost jobs
    # PostgreSQL: a carrier report's rows per upsert, overlapping the parse (0: one upsert).
    # Rows parsed while a chunk upserts wait in memory, at most this many.
    ingest_chunk_rows: int = Field(default=100_000, ge=0)
    carrier_stale_days: int = Field(default=21, ge=0)
    """carrierFreshness calls a carrier stale when no report the viewer sees is as of this many
    days before today (UTC) or later: carriers report a few weeks late, not longer."""
    # Effectuation: an application no policy matches is NOT_IN_CARRIER_REPORTS once its carrier
    # has a report as of at least this many days after the submission (else AWAITING_CARRIER).
    reconcile_grace_days: int = Field(default=30, ge=0)
    workers_in_process: bool | None = None  # default: when no broker is configured
    load_plugins: bool = True  # third-party plugins from the `downline` entry points
    cors_origins: Annotated[list[str], NoDecode] = []
    """The origins of pages on other sites that may call the API (`https://app.example.com`,
    comma-separated or a JSON list; `*` for any). Empty: the API's own origin only. Applies to
    HTTP (CORS) and to the WebSocket's Origin check alike."""
    cors_max_age: int = Field(default=600, ge=0)
    """Seconds a browser may keep a preflight's answer before asking again."""
    persisted_query_ttl: int = Field(default=86400, ge=1)
    """Seconds a persisted query's document is kept in Redis after its last use."""
    persisted_query_max_bytes: int = Field(default=65536, ge=0)
    """The longest document kept as a persisted query; a longer one still runs, sent in full."""
    otel: bool | None = None
    """OpenTelemetry tracing (the `otel` extra). Unset: on when OTEL_EXPORTER_OTLP_ENDPOINT (or
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set."""

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def tracing(self) -> bool:
        if self.otel is not None:
            return self.otel
        return any(
            os.environ.get(name)
            for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> list[str]:
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else text.split(",")
        if not isinstance(value, list | tuple):
            raise ValueError("a comma-separated list of origins, or a JSON list")
        return [_origin(str(item)) for item in value if str(item).strip()]

    @model_validator(mode="after")
    def _fill_defaults(self) -> "Settings":
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'downline.db'}"
        if not self.storage_url:
            self.storage_url = f"file://{(self.var_dir / 'files').resolve()}"
        if not self.secret_key:
            if self.production:
                # Every process must share one key, so a generated one would break links and tokens.
                raise ValueError("DOWNLINE_SECRET_KEY is required when DOWNLINE_ENV=production")
            self.secret_key = _generated_secret(self.var_dir)
        return self


def _origin(text: str) -> str:
    """An origin as browsers send it in the Origin header: scheme://host[:port], lower case, no
    path; anything else is a start-up error naming it, not an origin that never matches."""
    text = text.strip()
    if text == "*":
        return text
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or port == -1
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
    ):
        raise ValueError(
            f"{text!r} is not an origin (scheme://host[:port], e.g. https://a.example)"
        )
    default = {"http": 80, "https": 443}[parts.scheme]
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def _generated_secret(var_dir: Path) -> str:
    path = var_dir / "secret.key"
    private_dir(var_dir)
    try:
        # O_EXCL: when two processes start together, one writes the key and both read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
