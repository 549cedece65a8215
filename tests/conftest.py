"""Fixtures for the whole suite: a real PostgreSQL server and a local Spark session, each started at first use."""

pytest_plugins = ("support.pgserver", "support.sparksession")
