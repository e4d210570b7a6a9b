"""The delivery tests use the workflow's database fixture: every test on SQLite and on PostgreSQL."""

from tests.workflow.conftest import db  # noqa: F401
