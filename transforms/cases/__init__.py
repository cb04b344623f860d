"""Cases into the warehouse: the case service's change feed, legacy exports and the synthetic city's Parquet,
all conformed to one model (core.case + core.case_event)."""
