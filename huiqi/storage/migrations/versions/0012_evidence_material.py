"""evidence material: which item of a provision's 申报材料清单 an uploaded file is (task B)

A provision with a materials list (its measure file's ``service.materials``) is submitted for review only once
each required material has a file (issue 12, item 5), so each file says which material it is. Files uploaded
before this revision keep NULL: they count for no material, and nothing is guessed.

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('evidence', sa.Column('material', sa.String(length=40), nullable=True))


def downgrade() -> None:
    op.drop_column('evidence', 'material')
