"""Which cases use each attachment (a download is allowed to whoever may see one of them, or its uploader), and
the login failures that slow and lock out password guessing (per username and per client address).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PREFIX = "sha256:"


def upgrade() -> None:
    uses = op.create_table(
        "attachment_uses",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("event_id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, nullable=False),
    )
    op.create_index("ix_attachment_uses_case_id", "attachment_uses", ["case_id"])
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(200), primary_key=True),  # user:<name> | address:<ip>
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("first_at", sa.DateTime, nullable=False),
        sa.Column("locked_until", sa.DateTime, nullable=True),
    )
    # Existing events' uploaded attachments (URLs are not ours to guard).
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, case_id, attachments FROM events"))
    found = []
    for event_id, case_id, attachments in rows:
        refs = json.loads(attachments) if isinstance(attachments, str) else (attachments or [])
        found += [{"sha256": r[len(PREFIX):], "event_id": event_id, "case_id": case_id}
                  for r in dict.fromkeys(refs) if isinstance(r, str) and r.startswith(PREFIX)]
    if found:
        op.bulk_insert(uses, found)


def downgrade() -> None:
    op.drop_table("login_failures")
    op.drop_index("ix_attachment_uses_case_id", table_name="attachment_uses")
    op.drop_table("attachment_uses")
