-- The latest analysis of each experiment, for /metrics (significant results, analysis duration).
CREATE TABLE IF NOT EXISTS analysis_runs (
  experiment_id       TEXT PRIMARY KEY REFERENCES experiments (id) ON DELETE CASCADE,
  metric              TEXT NOT NULL,
  analyzed_at         INTEGER NOT NULL,
  duration_seconds    REAL NOT NULL,
  significant_results INTEGER NOT NULL
);
