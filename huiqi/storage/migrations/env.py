"""Alembic environment: the engine comes from the caller (huiqi.storage.migrate), or HUIQI_DATABASE_URL."""

from alembic import context

from huiqi.storage.db import make_engine
from huiqi.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine()
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        if connection.in_transaction():
            connection.commit()


run_migrations_online()
