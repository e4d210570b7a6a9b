"""token expiry: an API token an administrator issues may end on a given day

``huiqi users token --expires`` (issue 14, item 4) issues a bearer token for a machine client that stops
opening anything after its expiry. Tokens made before this revision keep NULL: valid until revoked or the
account is disabled, as before.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('api_tokens', sa.Column('expires_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column('api_tokens', 'expires_at')
