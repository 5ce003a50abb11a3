-- Cleave's D1 schema, version 1. D1 is the source of truth; KV holds the published snapshot.

-- One row per experiment; `config` is the core's wire model (cleave_core::model::Experiment) as JSON.
CREATE TABLE IF NOT EXISTS experiments (
  id          TEXT PRIMARY KEY,
  key         TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('draft', 'running', 'paused', 'stopped', 'archived')),
  config      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS experiments_status ON experiments (status);

-- First exposure wins: one row per (experiment, user), whatever the concurrency.
CREATE TABLE IF NOT EXISTS assignments (
  experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
  user_id       TEXT NOT NULL,
  variant       TEXT NOT NULL,
  reason        TEXT NOT NULL,
  assigned_at   INTEGER NOT NULL,
  PRIMARY KEY (experiment_id, user_id)
);
CREATE INDEX IF NOT EXISTS assignments_variant ON assignments (experiment_id, variant);

-- Events are idempotent by event_id (client-supplied or generated).
CREATE TABLE IF NOT EXISTS events (
  event_id      TEXT PRIMARY KEY,
  experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
  user_id       TEXT NOT NULL,
  event_name    TEXT NOT NULL,
  value         REAL NOT NULL,
  occurred_at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_metric_user ON events (experiment_id, event_name, user_id);
