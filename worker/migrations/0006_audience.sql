-- Who may enter (assignment contract v2): holdouts and saved groups are control-plane
-- configuration beside the experiments; `config` is the core's wire model as JSON
-- (cleave_core::model::Holdout / SavedGroup).
CREATE TABLE IF NOT EXISTS holdouts (
  name        TEXT PRIMARY KEY,
  config      TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS saved_groups (
  name        TEXT PRIMARY KEY,
  config      TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
);

-- The attributes a unit was assigned with (compact JSON, NULL when none were sent), for
-- results by segment.
ALTER TABLE assignments ADD COLUMN context TEXT;
