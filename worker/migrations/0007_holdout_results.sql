-- A holdout's own results (docs/targeting.md, "Holdout results"): every unit an experiment
-- listing the holdout decided for, in the arm the holdout's hash put it in (held_out 1, or
-- 0: exposed to the experiments listing it), first decision wins; and the events of the
-- holdout's metrics those units sent to those experiments, de-duplicated per holdout by
-- event id.
CREATE TABLE IF NOT EXISTS holdout_members (
  holdout   TEXT NOT NULL,
  user_id   TEXT NOT NULL,
  held_out  INTEGER NOT NULL CHECK (held_out IN (0, 1)),
  first_at  INTEGER NOT NULL,
  PRIMARY KEY (holdout, user_id)
);
CREATE TABLE IF NOT EXISTS holdout_events (
  holdout     TEXT NOT NULL,
  event_id    TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  event_name  TEXT NOT NULL,
  value       REAL NOT NULL,
  occurred_at INTEGER NOT NULL,
  PRIMARY KEY (holdout, event_id)
);
CREATE INDEX IF NOT EXISTS holdout_events_metric ON holdout_events (holdout, event_name, user_id);
