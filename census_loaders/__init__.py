"""census_loaders."""
