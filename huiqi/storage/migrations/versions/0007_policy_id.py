"""many policies: every stored row that belongs to a policy names it (policy_id); ledger keys are namespaced

Before this revision the platform held one policy, so every existing row belongs to it: the id it had
then ('kunming_2024') is written into the new columns. Keys that must be unique across policies carry the
policy's id: a pool's key is ``<policy>/<pool id>`` (applications and ledger entries follow it), a yearly
cap's ``<policy>/<provision id>``, a live claim's ``<policy>|<provision>|<event>|<claimant>``. The columns keep
their lengths (64 for a pool key, 80 for a cap key): the loader refuses a policy whose keys would not fit.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

EXISTING = 'kunming_2024'  # the only policy there was before this revision
TABLES = ('applications', 'pools', 'parameter_changes', 'offers', 'entity_caps', 'target_progress')
POOL_FKS = (('applications', 'applications_pool_id_fkey'), ('ledger_entries', 'ledger_entries_pool_id_fkey'))


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    for table in TABLES:
        op.add_column(table, sa.Column('policy_id', sa.String(length=64), nullable=False, server_default=EXISTING))
    if postgres:  # the pool key changes: let the references follow within this transaction
        for table, fk in POOL_FKS:
            op.drop_constraint(fk, table, type_='foreignkey')
    else:
        op.execute('PRAGMA defer_foreign_keys = ON')  # checked at commit, when keys and references agree again
    prefix = f"'{EXISTING}/' || "
    op.execute(f"UPDATE pools SET id = {prefix}id")
    op.execute(f"UPDATE applications SET pool_id = {prefix}pool_id WHERE pool_id IS NOT NULL")
    op.execute(f"UPDATE ledger_entries SET pool_id = {prefix}pool_id")
    op.execute(f"UPDATE entity_caps SET provision_id = {prefix}provision_id")
    op.execute(f"UPDATE applications SET claim_key = '{EXISTING}|' || claim_key WHERE claim_key IS NOT NULL")
    if postgres:
        for table, fk in POOL_FKS:
            op.create_foreign_key(fk, table, 'pools', ['pool_id'], ['id'])
    op.create_index('ix_applications_policy', 'applications', ['policy_id'])


def downgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == 'postgresql'
    op.drop_index('ix_applications_policy', 'applications')
    if postgres:
        for table, fk in POOL_FKS:
            op.drop_constraint(fk, table, type_='foreignkey')
    else:
        op.execute('PRAGMA defer_foreign_keys = ON')
    n = len(EXISTING) + 2
    op.execute(f"UPDATE pools SET id = substr(id, {n}) WHERE id LIKE '{EXISTING}/%'")
    op.execute(f"UPDATE applications SET pool_id = substr(pool_id, {n}) WHERE pool_id LIKE '{EXISTING}/%'")
    op.execute(f"UPDATE ledger_entries SET pool_id = substr(pool_id, {n}) WHERE pool_id LIKE '{EXISTING}/%'")
    op.execute(f"UPDATE entity_caps SET provision_id = substr(provision_id, {n}) WHERE provision_id LIKE '{EXISTING}/%'")
    op.execute(f"UPDATE applications SET claim_key = substr(claim_key, {n}) WHERE claim_key LIKE '{EXISTING}|%'")
    if postgres:
        for table, fk in POOL_FKS:
            op.create_foreign_key(fk, table, 'pools', ['pool_id'], ['id'])
    for table in TABLES:  # a plain DROP COLUMN (SQLite ≥ 3.35): no table rebuild, so no CHECK constraint is lost
        op.drop_column(table, 'policy_id')
