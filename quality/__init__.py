"""Data quality gates (write–audit–publish): GX suites on DataFrames (:mod:`quality.gx`) and per-area suites
(:mod:`quality.census`, …). Every failure becomes a :class:`szcg.errors.RowProblem` for the quarantine."""
