"""enterprise profiles kept for the portal; parameter changes by administrators

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('enterprise_profiles',
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('profile_json', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('credit_code')
    )
    op.create_table('parameter_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provision_id', sa.String(length=80), nullable=False),
    sa.Column('parameter', sa.String(length=64), nullable=False),
    sa.Column('value_text', sa.String(length=2000), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('parameter_changes')
    op.drop_table('enterprise_profiles')
