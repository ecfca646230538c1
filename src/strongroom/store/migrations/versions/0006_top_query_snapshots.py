"""top query snapshots

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 09:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "top_query_snapshots",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("time", sa.DateTime(), nullable=False),
        sa.Column("queries", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", "time"),
    )


def downgrade() -> None:
    op.drop_table("top_query_snapshots")
