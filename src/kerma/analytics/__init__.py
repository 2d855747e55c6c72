"""Statistics engine: medians, percentiles, QCD and trends computed in the database (SQLite, PostgreSQL)."""
