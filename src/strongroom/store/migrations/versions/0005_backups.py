"""backups, deletion protection

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 09:35:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backups",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("datastore", sa.String(length=64), nullable=False),
        sa.Column("datastore_version", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("fault_message", sa.Text(), nullable=True),
        sa.Column("fault_details", sa.Text(), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("checksum", sa.String(length=64), nullable=True),
        sa.Column("location", sa.String(length=1024), nullable=True),
        sa.Column("checkpoint", sa.Text(), nullable=True),
        sa.Column("key_id", sa.String(length=64), nullable=True),
        sa.Column("accounts", sa.JSON(), nullable=False),
        sa.Column("stream_started_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_backups_project_id", "backups", ["project_id"])
    op.create_index("ix_backups_parent_id", "backups", ["parent_id"])
    op.create_index("ix_backups_instance_created", "backups", ["instance_id", "created_at"])
    with op.batch_alter_table("instances") as batch:
        batch.add_column(
            sa.Column(
                "deletion_protection", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("instances") as batch:
        batch.drop_column("deletion_protection")
    op.drop_index("ix_backups_instance_created", table_name="backups")
    op.drop_index("ix_backups_parent_id", table_name="backups")
    op.drop_index("ix_backups_project_id", table_name="backups")
    op.drop_table("backups")
