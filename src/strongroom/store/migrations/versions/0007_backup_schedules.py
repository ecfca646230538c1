"""backup schedules

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 09:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backup_schedules",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("daily_at", sa.String(length=5), nullable=True),
        sa.Column("every_hours", sa.Integer(), nullable=True),
        sa.Column("full_every", sa.Integer(), nullable=False),
        sa.Column("keep_fulls", sa.Integer(), nullable=True),
        sa.Column("keep_days", sa.Integer(), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("instance_id"),
    )
    op.create_index("ix_backup_schedules_project_id", "backup_schedules", ["project_id"])
    op.create_index("ix_backup_schedules_next_run_at", "backup_schedules", ["next_run_at"])
    with op.batch_alter_table("backups") as batch:
        batch.add_column(
            sa.Column("scheduled", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("backups") as batch:
        batch.drop_column("scheduled")
    op.drop_index("ix_backup_schedules_next_run_at", table_name="backup_schedules")
    op.drop_index("ix_backup_schedules_project_id", table_name="backup_schedules")
    op.drop_table("backup_schedules")
