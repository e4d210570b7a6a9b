"""one live application per claim: applications.claim_key, unique

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('applications') as batch:
        batch.add_column(sa.Column('claim_key', sa.String(length=200), nullable=True))
        batch.create_unique_constraint('uq_applications_claim_key', ['claim_key'])


def downgrade() -> None:
    with op.batch_alter_table('applications') as batch:
        batch.drop_constraint('uq_applications_claim_key', type_='unique')
        batch.drop_column('claim_key')
