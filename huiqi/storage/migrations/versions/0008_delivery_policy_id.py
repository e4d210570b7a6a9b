"""many policies, part two: the delivery records name their policy (policy_id)

Commitments, projects, list entries and voice tickets were the platform's before it held several notices:
every existing row belongs to the policy there was then ('kunming_2024', as revision 0007 recorded it).
A commitment's key becomes ``<policy>/<measure>.c<NN>`` (two notices may both number a sentence alike), so the key and
its reports' references grow from 20 to 40 characters (a policy id has at most 24). A project's code stays
unique across notices: it is the registry's own number. A list entry's kind is a key of its policy's
``published_lists`` declaration, checked by the service against that policy: the CHECK naming the four keys of
the first notice goes.

SQLite cannot change a column's type in place, and rebuilding a referenced table one at a time would leave
foreign-key violations counted at commit; so there both commitment tables are rebuilt side by side (the
reports' copy referencing the commitments' copy), the old ones dropped child first, and the copies renamed
(SQLite rewrites the reference on rename). PostgreSQL alters the columns with the reference dropped meanwhile.

The downgrade refuses when a record of another policy exists: the older schema could not tell them apart.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

EXISTING = 'kunming_2024'  # the policy every row made before this revision belongs to (as in 0007)
TABLES = ('commitments', 'projects', 'list_entries', 'voice_tickets')
FK = 'commitment_reports_commitment_id_fkey'
STATUS_CHECK = "status IN ('not_started', 'in_progress', 'done')"
LIST_KINDS = "kind IN ('major_works', 'chain', 'concession', 'reits')"  # the first notice's lists (0005)


def _commitment_tables(suffix: str, key_length: int, with_policy: bool) -> None:
    """The two commitment tables as models_delivery declares them (at ``key_length``), named with ``suffix``."""
    policy = [sa.Column('policy_id', sa.String(length=64), nullable=False, server_default=EXISTING)] if with_policy else []
    op.create_table(
        f'commitments{suffix}',
        sa.Column('id', sa.String(length=key_length), nullable=False),
        *policy,
        sa.Column('measure_id', sa.String(length=8), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('sentence', sa.Text(), nullable=False),
        sa.Column('departments', sa.Text(), nullable=False),
        sa.Column('due', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(STATUS_CHECK, name='ck_commitment_status'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        f'commitment_reports{suffix}',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('commitment_id', sa.String(length=key_length), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('evidence_sha256', sa.String(length=64), nullable=True),
        sa.Column('evidence_name', sa.String(length=200), nullable=True),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('department', sa.String(length=100), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['commitment_id'], [f'commitments{suffix}.id']),
        sa.PrimaryKeyConstraint('id'),
    )


COLUMNS = 'measure_id, seq, sentence, departments, due, status, updated_at'
REPORT_COLUMNS = 'id, status, note, evidence_sha256, evidence_name, actor, department, at'


def _sqlite_rebuild(key_length: int, with_policy: bool, key_sql: str) -> None:
    """Rebuild both commitment tables on SQLite with keys ``key_sql`` (an expression of the old key, ``{col}``)."""
    op.drop_index('ix_commitment_reports_commitment_id', 'commitment_reports')
    op.drop_index('ix_commitments_measure_id', 'commitments')
    if not with_policy:
        op.drop_index('ix_commitments_policy', 'commitments')
    _commitment_tables('_new', key_length, with_policy)
    policy = ('policy_id, ', f"'{EXISTING}', ") if with_policy else ('', '')
    op.execute(f"INSERT INTO commitments_new (id, {policy[0]}{COLUMNS}) "
               f"SELECT {key_sql.format(col='id')}, {policy[1]}{COLUMNS} FROM commitments")
    op.execute(f"INSERT INTO commitment_reports_new (commitment_id, {REPORT_COLUMNS}) "
               f"SELECT {key_sql.format(col='commitment_id')}, {REPORT_COLUMNS} FROM commitment_reports")
    op.drop_table('commitment_reports')  # the child first: no reference is left dangling
    op.drop_table('commitments')
    op.rename_table('commitments_new', 'commitments')  # SQLite rewrites commitment_reports_new's reference
    op.rename_table('commitment_reports_new', 'commitment_reports')
    op.create_index('ix_commitments_measure_id', 'commitments', ['measure_id'])
    op.create_index('ix_commitment_reports_commitment_id', 'commitment_reports', ['commitment_id'])


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    prefixed = f"'{EXISTING}/' || {{col}}"
    if postgres:
        op.drop_constraint(FK, 'commitment_reports', type_='foreignkey')
        op.alter_column('commitments', 'id', type_=sa.String(length=40), existing_nullable=False)
        op.alter_column('commitment_reports', 'commitment_id', type_=sa.String(length=40), existing_nullable=False)
        op.add_column('commitments', sa.Column('policy_id', sa.String(length=64), nullable=False,
                                               server_default=EXISTING))
        op.execute(f"UPDATE commitments SET id = {prefixed.format(col='id')}")
        op.execute(f"UPDATE commitment_reports SET commitment_id = {prefixed.format(col='commitment_id')}")
        op.create_foreign_key(FK, 'commitment_reports', 'commitments', ['commitment_id'], ['id'])
    else:
        _sqlite_rebuild(40, True, prefixed)
    with op.batch_alter_table('list_entries') as batch:  # SQLite: a rebuild (nothing references list entries)
        batch.drop_constraint('ck_list_kind', type_='check')
    for table in TABLES[1:]:
        op.add_column(table, sa.Column('policy_id', sa.String(length=64), nullable=False, server_default=EXISTING))
    for table in TABLES:
        op.create_index(f'ix_{table}_policy', table, ['policy_id'])


def downgrade() -> None:
    bind = op.get_bind()
    others = {t: bind.execute(sa.text(f"SELECT count(*) FROM {t} WHERE policy_id <> :p"), {'p': EXISTING}).scalar()
              for t in TABLES}
    others = {t: n for t, n in others.items() if n}
    if others:
        raise RuntimeError(f"cannot downgrade below 0008: records of policies other than {EXISTING} exist "
                           f"({', '.join(f'{t}: {n}' for t, n in others.items())}) and the older schema could not tell "
                           f"them apart / 库中存在其他政策的记录，降级后将无法区分，已拒绝")
    postgres = bind.dialect.name == 'postgresql'
    n = len(EXISTING) + 2
    for table in TABLES[1:]:
        op.drop_index(f'ix_{table}_policy', table)
        op.drop_column(table, 'policy_id')  # a plain DROP COLUMN (SQLite ≥ 3.35): the CHECK constraints stay
    with op.batch_alter_table('list_entries') as batch:
        batch.create_check_constraint('ck_list_kind', LIST_KINDS)
    if postgres:
        op.drop_index('ix_commitments_policy', 'commitments')
        op.drop_constraint(FK, 'commitment_reports', type_='foreignkey')
        op.execute(f"UPDATE commitments SET id = substr(id, {n})")
        op.execute(f"UPDATE commitment_reports SET commitment_id = substr(commitment_id, {n})")
        op.drop_column('commitments', 'policy_id')
        op.alter_column('commitments', 'id', type_=sa.String(length=20), existing_nullable=False)
        op.alter_column('commitment_reports', 'commitment_id', type_=sa.String(length=20), existing_nullable=False)
        op.create_foreign_key(FK, 'commitment_reports', 'commitments', ['commitment_id'], ['id'])
    else:
        _sqlite_rebuild(20, False, f"substr({{col}}, {n})")
