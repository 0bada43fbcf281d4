"""Room for the scopes of many resources: a client's default scopes and a token's scope hold up
to 4,000 characters (500 before), since every resource `apiserver scaffold` adds registers two
scopes and a client gets every registered scope by default.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 11:22:11.104303
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("oauth2_clients", schema=None) as batch_op:
        batch_op.alter_column(
            "default_scopes",
            existing_type=sa.VARCHAR(length=500),
            type_=models.base.StringList(length=4000),
            existing_nullable=False,
        )
    with op.batch_alter_table("oauth2_tokens", schema=None) as batch_op:
        batch_op.alter_column(
            "scope",
            existing_type=sa.VARCHAR(length=500),
            type_=sa.String(length=4000),
            existing_nullable=False,
        )


def downgrade() -> None:
    # Fails on PostgreSQL if a row holds more than 500 characters: remove those scopes first.
    with op.batch_alter_table("oauth2_tokens", schema=None) as batch_op:
        batch_op.alter_column(
            "scope",
            existing_type=sa.String(length=4000),
            type_=sa.VARCHAR(length=500),
            existing_nullable=False,
        )
    with op.batch_alter_table("oauth2_clients", schema=None) as batch_op:
        batch_op.alter_column(
            "default_scopes",
            existing_type=models.base.StringList(length=4000),
            type_=sa.VARCHAR(length=500),
            existing_nullable=False,
        )
