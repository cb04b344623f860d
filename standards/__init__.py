"""standards: 数字城管 national-standard knowledge as configuration — catalogues of components and events per
edition (with provenance), code validators, the city's area tree, 指挥手册 (handbook), departments and the
working-time calendar. Each city is a folder of YAML/CSV under ``standards/cities/<key>/``."""
