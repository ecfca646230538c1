"""monitoring: metric samples and top queries

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 07:10:49.113458
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instance_top_queries",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("collected_at", sa.DateTime(), nullable=False),
        sa.Column("queries", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("instance_id"),
    )
    op.create_table(
        "metric_samples",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("resolution", sa.Integer(), nullable=False),
        sa.Column("time", sa.DateTime(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", "resolution", "time"),
    )
    # retention scans by age across instances
    op.create_index("ix_metric_samples_resolution_time", "metric_samples", ["resolution", "time"])


def downgrade() -> None:
    op.drop_index("ix_metric_samples_resolution_time", table_name="metric_samples")
    op.drop_table("metric_samples")
    op.drop_table("instance_top_queries")
