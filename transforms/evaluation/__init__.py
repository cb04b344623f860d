"""综合评价 (comprehensive evaluation): indicators in DuckDB SQL from ``core.case_event``, versioned scoring
schemes, frozen published scorecards with lineage down to cases, appeals, fair rankings."""
