"""The jobs a person or a schedule starts, each assembled once.

One module per job family; each job is one typed function ``job(settings, <inputs>) -> <Outcome>`` that does the
whole job, publishing included. The CLI handlers, the DAG steps (``orchestration.steps``), the demo and the portal
call only these, so a job runs the same whoever starts it. Layers (see README, Architecture): the core
(``szcg.settings``, ``szcg.errors``, …) below the areas (census_loaders, transforms, warehouse, …), the areas below
this package, the entry points above it; ``lint-imports`` keeps it so.
"""
