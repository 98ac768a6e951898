"""Settings, read from the environment (prefix DOWNLINE_), as the README lists them."""

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    db_pool_size: int = Field(default=40, ge=1)
    """Database connections one process may hold at once. The API runs requests on as many
    worker threads (database work, large documents), less those the in-process job workers may
    hold, so that a request's thread does not wait for a connection. The API processes times
    this must fit in PostgreSQL's max_connections."""
    db_pool_timeout: float = Field(default=5.0, gt=0)
    """Seconds a request waits for a database connection before it is answered 503 ("the
    database is busy; try again", with Retry-After) instead of hanging."""
    job_stale_seconds: int = 300
    # Unset: links use the address the request came to (core/links.py).
    public_url: str | None = None
    download_link_ttl: int = 3600
    export_retention_days: int = 30
    smtp_url: str | None = None
    mail_from: str = "downline@localhost"
    sweep_seconds: float = 30.0  # how often each API process sweeps for lost jobs
    # PostgreSQL: a carrier report's rows per upsert, overlapping the parse (0: one upsert).
    # Rows parsed while a chunk upserts wait in memory, at most this many.
    ingest_chunk_rows: int = Field(default=100_000, ge=0)
    # Effectuation: an application no policy matches is NOT_IN_CARRIER_REPORTS once its carrier
    # has a report as of at least this many days after the submission (else AWAITING_CARRIER).
    reconcile_grace_days: int = Field(default=30, ge=0)
    workers_in_process: bool | None = None  # default: when no broker is configured
    load_plugins: bool = True  # third-party plugins from the `downline` entry points

    @property
    def production(self) -> bool:
        return self.env == "production"

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
