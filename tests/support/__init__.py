"""Code that only tests and benchmarks use: the shared-build factory, the dashboards demo warehouse, the pandas
reference of the evaluation. Benchmarks import it with the repository root on sys.path."""
