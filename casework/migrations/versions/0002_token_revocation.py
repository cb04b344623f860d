"""Token revocation: ``tokens.revoked_at`` (kept for the audit trail) and the one-row ``token_epoch`` that
every revocation bumps, so processes caching token lookups know when to drop their cache.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("revoked_at", sa.DateTime, nullable=True))
    op.create_index("ix_tokens_user_id", "tokens", ["user_id"])
    op.create_table(
        "token_epoch",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("epoch", sa.Integer, nullable=False),
    )
    op.execute("INSERT INTO token_epoch (id, epoch) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("token_epoch")
    op.drop_index("ix_tokens_user_id", table_name="tokens")
    with op.batch_alter_table("tokens") as batch:
        batch.drop_column("revoked_at")
