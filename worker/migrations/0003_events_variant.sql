-- The variant of the exposure is stored on each event, so /stats aggregates one covering
-- index instead of joining a million events to a million assignments (2.5 s → < 1 s).
ALTER TABLE events ADD COLUMN variant TEXT NOT NULL DEFAULT '';
UPDATE events SET variant = COALESCE(
  (SELECT a.variant FROM assignments a WHERE a.experiment_id = events.experiment_id AND a.user_id = events.user_id), '');
DROP INDEX IF EXISTS events_metric_user;
CREATE INDEX IF NOT EXISTS events_stats ON events (experiment_id, event_name, variant, user_id, value);
