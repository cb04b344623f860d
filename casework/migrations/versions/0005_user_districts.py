"""A user's set of districts: ``user_districts`` (a 普查作业单位 may survey several districts; the portal's scope
check, upload form and batch history read the set). ``users.district_code`` stays as the home district, the case
service's one-district scope of dispatchers and 监督员; existing users' district is copied into the set.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_districts",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("district_code", sa.String(12), primary_key=True),
    )
    op.execute("INSERT INTO user_districts (user_id, district_code) "
               "SELECT id, district_code FROM users WHERE district_code IS NOT NULL")


def downgrade() -> None:
    op.drop_table("user_districts")
