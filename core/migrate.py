"""Alembic, driven from code: `downline migrate`, `downline serve` on SQLite, and the tests."""

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    return config


def upgrade(connection=None) -> None:
    config = alembic_config()
    if connection is not None:
        config.attributes["connection"] = connection
    command.upgrade(config, "head")


def revision(message: str) -> None:
    """Autogenerate a migration from the models (developers: `downline makemigration`)."""
    command.revision(alembic_config(), message=message, autogenerate=True)
