-- Data-subject deletion (`DELETE /api/v1/units/{id}`) removes a unit's holdout rows by
-- unit: index them by unit so it does not scan every holdout.
CREATE INDEX IF NOT EXISTS holdout_members_user ON holdout_members (user_id);
CREATE INDEX IF NOT EXISTS holdout_events_user ON holdout_events (user_id);
