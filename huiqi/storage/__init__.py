"""Storage for the workflow: SQLAlchemy 2 models, the database engine and Alembic migrations."""
