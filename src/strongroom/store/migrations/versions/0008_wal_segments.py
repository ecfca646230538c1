"""archived WAL segments

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 10:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wal_segments",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("stored_bytes", sa.BigInteger(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("location", sa.String(length=1024), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("archived_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", "name"),
    )
    op.create_index("ix_wal_segments_instance_ended", "wal_segments", ["instance_id", "ended_at"])


def downgrade() -> None:
    op.drop_index("ix_wal_segments_instance_ended", table_name="wal_segments")
    op.drop_table("wal_segments")
