-- Test-only migration: how a real later migration would look.
ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
CREATE INDEX conversations_pinned ON conversations (user_id, pinned);
