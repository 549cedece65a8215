"""Query engines: one module per engine (DuckDB, PostgreSQL, Spark), the only modules that import a driver."""
