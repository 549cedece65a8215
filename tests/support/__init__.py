"""Helpers shared by tests in more than one folder (importable as `support`: pyproject adds tests/ to the path)."""
