"""A narrow index on teams.id, for counting teams and skipping to deep page offsets.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 09:10:00
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_teams_id"), "teams", ["id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_teams_id"), table_name="teams")
