"""hardening: idempotency leases, signed audit entries, sign-in throttling

An ``Idempotency-Key`` claimed by a request that then died (a crash, a SIGKILL) used to answer 409
``in_progress`` for ever. The claim now names its holder (a random token) and a lease end; after the
lease, a retry takes the key over (issue 13, item 4). Rows claimed before this revision have no lease:
they are treated as expired.

Audit entries gain ``key_id`` and ``signature`` (an Ed25519 signature over the entry's number, previous
hash and hash, by a key kept outside the database). Entries written before this revision stay unsigned
and are reported as such by ``huiqi audit verify`` (issue 13, item 6).

``login_throttle`` counts failed sign-ins per client, per account and per (account, client) for an
exponential back-off that replaces the hard lock-out an anonymous caller could trigger (item 7).

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure', sa.DateTime(), nullable=False),
    sa.Column('blocked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_throttle_last_failure'), ['last_failure'], unique=False)
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holder', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(), nullable=True))
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('signature', sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('signature')
        batch_op.drop_column('key_id')
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_column('lease_until')
        batch_op.drop_column('holder')
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttle_last_failure'))
    op.drop_table('login_throttle')
