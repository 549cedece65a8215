"""The audit trail: the run history (`history`, its records in `records`) and the governance diff of two specs
(`diff`: `compare` and `sides`). Their SQL is the data layer's (cxgov.data.engines.duckdb_history); what they return
is data, rendered by cxgov.report.history, cxgov.report.diff and the scorecard."""
