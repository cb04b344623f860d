"""部件普查 (census) ingestion: readers for what survey companies deliver, column mappings, CRS handling, the
write–audit–publish load into core.component (SCD2) and core.grid, batch reports, and the component inventory.

Public API: :func:`census_loaders.ingest.ingest_file`, :func:`census_loaders.grids.load_grids`,
:func:`census_loaders.inventory.inventory_on`, :func:`census_loaders.inventory.apply_case_state_change`,
:func:`census_loaders.report.write_report`.
"""
