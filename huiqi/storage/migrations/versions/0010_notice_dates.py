"""notice dates and payment: the first day of an application's public notice, the day it was paid and the voucher

The public notice is published in titled batches with a period (issue 12, item 6): a batch is the applications
of one provision whose notice began on the same day, so that day is kept. Rows published before this revision
keep NULL (the page then shows only their last day); nothing is guessed.

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


COLUMNS = (('notice_from', sa.Date()), ('disbursed_on', sa.Date()), ('disbursement_voucher', sa.String(length=64)))


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column('applications', sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    for name, _ in reversed(COLUMNS):  # a plain DROP COLUMN (SQLite >= 3.35): no table rebuild, no foreign key upset
        op.drop_column('applications', name)
