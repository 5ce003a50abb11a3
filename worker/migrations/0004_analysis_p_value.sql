-- The latest analysis's headline p-value, for the Grafana p-value trend (/metrics).
ALTER TABLE analysis_runs ADD COLUMN p_value REAL;
