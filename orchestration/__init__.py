"""orchestration: what the Airflow DAGs call. Thin glue over the area packages (census_loaders, transforms,
casework, dashboards, warehouse); no domain logic lives here.

DAG files in ``dags/`` import only :mod:`orchestration.assets` (cheap) at parse time; everything else is imported
inside tasks so parsing stays fast and free of I/O.
"""
