"""page indexes: the dashboard's sums, the 公示's batches and the timelines read from indexes (issue 15)

A replayed policy year holds ~2,000 applications and ~12,000 timeline events. The dashboard sums the awards by
measure and month, the 公示 groups the published applications into batches and sorts the paid list, and every
application page reads its timeline: each of these now reads a narrow index instead of every wide row
(an application row carries its profile and the engine's answer as JSON). Indexes only: no data changes.

Revision ID: 0013
Revises: 0012
"""
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_app_awarded', 'applications',
                    ['policy_id', 'status', 'measure_id', 'approved_fen', 'updated_at'])
    op.create_index('ix_app_published', 'applications',
                    ['status', 'policy_id', 'provision_id', 'notice_from', 'notice_until', 'disbursed_on'])
    op.create_index('ix_app_events_application', 'application_events', ['application_id', 'to_status'])


def downgrade() -> None:
    op.drop_index('ix_app_events_application', table_name='application_events')
    op.drop_index('ix_app_published', table_name='applications')
    op.drop_index('ix_app_awarded', table_name='applications')
