"""instance health state shared by the workers

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 12:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instance_health",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("agent_misses", sa.Integer(), nullable=False),
        sa.Column("agent_started_at", sa.DateTime(), nullable=True),
        sa.Column("restarts_told_until", sa.DateTime(), nullable=True),
        sa.Column("wal_unhealthy", sa.Boolean(), nullable=False),
        sa.Column("wal_failures_seen", sa.Double(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("instance_id"),
    )


def downgrade() -> None:
    op.drop_table("instance_health")
