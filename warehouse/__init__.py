"""The DuckDB + Parquet warehouse: landing → staging → core → marts, quarantine, and the publish model.

Public entry point: :class:`warehouse.store.Warehouse`.
"""
