"""provision index: a reviewer's applications counted from an index (issue 15)

GET /api/v1/applications counts and pages in SQL what a reviewer may see: the applications of the measures their
department leads, by provision. On a replayed year the count read every wide row (~270 ms on a loaded machine);
with (policy_id, provision_id) it reads the index (under 1 ms). Index only: no data changes.

Revision ID: 0014
Revises: 0013
"""
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_app_provision', 'applications', ['policy_id', 'provision_id'])


def downgrade() -> None:
    op.drop_index('ix_app_provision', table_name='applications')
