"""Alembic's entry point: which database, which metadata, and how to compare them."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

import models
from config import Settings, normalise_database_url

config = context.config
target_metadata = models.Base.metadata


def database_url() -> str:
    url = config.attributes.get("database_url")
    return normalise_database_url(url) if url else Settings.from_env().database_url


def configure(**kwargs) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=True,  # SQLite can only ALTER tables by copying them
        **kwargs,
    )


def run_offline() -> None:
    configure(url=database_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
