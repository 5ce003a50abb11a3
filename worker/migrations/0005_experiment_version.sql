-- Every experiment carries a revision: updates are conditional on the revision they read
-- (UPDATE ... WHERE id = ? AND version = ?), so concurrent writes cannot undo each other.
ALTER TABLE experiments ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
