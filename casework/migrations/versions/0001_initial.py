"""Initial case-service schema: users, tokens, API clients, cases, append-only events, feed cursor.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("district_code", sa.String(12)),
        sa.Column("department_code", sa.String(64)),
        sa.Column("grid_codes", sa.JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "api_clients",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(32), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subclass_code", sa.String(16), nullable=False, index=True),
        sa.Column("edition", sa.String(32), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("address", sa.String(256), nullable=False),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("grid_code", sa.String(20), index=True),
        sa.Column("district_code", sa.String(12), index=True),
        sa.Column("department_code", sa.String(64), index=True),
        sa.Column("supervisor", sa.String(64)),
        sa.Column("reporter", sa.String(128), nullable=False),
        sa.Column("reported_at", sa.DateTime, nullable=False, index=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("closed_at", sa.DateTime),
        sa.Column("clock_step", sa.String(16)),
        sa.Column("clock_started_at", sa.DateTime),
        sa.Column("clock_deadline_at", sa.DateTime, index=True),
        sa.Column("clock_hours", sa.Float),
        sa.Column("clock_basis", sa.String(16)),
        sa.Column("pending", sa.JSON),
        sa.Column("external_ref", sa.String(64)),
    )
    op.create_index("ix_cases_subclass_reported", "cases", ["subclass_code", "reported_at"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("case_version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_state", sa.String(32)),
        sa.Column("to_state", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("attachments", sa.JSON, nullable=False),
        sa.Column("step", sa.String(16)),
        sa.Column("step_started_at", sa.DateTime),
        sa.Column("deadline_at", sa.DateTime),
        sa.Column("limit_hours", sa.Float),
        sa.Column("limit_basis", sa.String(16)),
        sa.Column("met", sa.Boolean),
        sa.Column("overdue_multiple", sa.Float),
        sa.Column("next_step", sa.String(16)),
        sa.Column("next_deadline_at", sa.DateTime),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subclass_code", sa.String(16), nullable=False),
        sa.Column("edition", sa.String(32), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("grid_code", sa.String(20)),
        sa.Column("district_code", sa.String(12)),
        sa.Column("department_code", sa.String(64)),
        sa.Column("data", sa.JSON, nullable=False),
        sa.CheckConstraint("actor <> ''", name="ck_events_actor"),
    )
    op.create_table(
        "feed_cursor",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("last_id", sa.Integer, nullable=False),
    )
    op.execute("INSERT INTO feed_cursor (id, last_id) VALUES (1, 0)")
    # The event log is append-only: refuse UPDATE and DELETE in the database itself.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION casework_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'events are append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
            "FOR EACH ROW EXECUTE FUNCTION casework_events_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{verb.lower()} BEFORE {verb} ON events "
                "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_append_only ON events")
        op.execute("DROP FUNCTION IF EXISTS casework_events_append_only()")
    for table in ("feed_cursor", "events", "cases", "api_clients", "tokens", "users"):
        op.drop_table(table)
