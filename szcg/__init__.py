"""szcg — the data side of a 数字城管 (digital urban management) platform.

Top-level packages beside this one each own one responsibility (see README): ``standards`` (coding standard,
area tree, 指挥手册, calendar), ``warehouse`` (DuckDB + Parquet layers and the publish model), ``census_loaders``,
``casework``, ``quality``, ``transforms``, ``dashboards``, ``synth``. This package holds what they share: settings,
errors and the ``szcg`` command line.
"""

__version__ = "0.1.0"
