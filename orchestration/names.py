"""Names shared by DAGs, the demo and the deployment; importing this module imports nothing else but the
standard-library-only :mod:`szcg.clock`."""

from szcg.clock import ZONE_NAME

WAREHOUSE_WRITER_POOL = "warehouse_writer"
"""Airflow pool with one slot: every task that writes the DuckDB work database or publishes runs in it."""

CST = ZONE_NAME
"""Schedules are China Standard Time wall clock, like every instant in the warehouse."""
