"""Names shared by DAGs, the demo and the deployment; importing this module imports nothing else."""

WAREHOUSE_WRITER_POOL = "warehouse_writer"
"""Airflow pool with one slot: every task that writes the DuckDB work database or publishes runs in it."""

CST = "Asia/Shanghai"
"""Schedules are China Standard Time wall clock, like every instant in the warehouse."""
