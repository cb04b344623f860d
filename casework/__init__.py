"""casework: the 数字城管 case-workflow service (FastAPI + SQLAlchemy 2 + Alembic).

``casework.app.create_app(settings)`` builds the HTTP API; ``casework.workflow`` is the pure state machine;
``casework.db.upgrade(url)`` migrates; ``casework.feed`` documents the change feed the warehouse pulls.
"""
