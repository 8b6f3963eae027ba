-- lifelong:foreign-keys-off
-- V5: a removed user's id is never given to another user (AUTOINCREMENT), and a browser session remembers the API key
-- it was signed in with, so that revoking the key ends the session too.
--
-- SQLite cannot add AUTOINCREMENT to a table, so users is rebuilt (SQLite's "12-step" ALTER TABLE: the runner switches
-- foreign keys off for this migration, because dropping the old table would otherwise delete every user's data by
-- cascade, and checks them with PRAGMA foreign_key_check before committing). Every row keeps its id.
CREATE TABLE users_v5 (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    password_hash TEXT,
    role          TEXT    NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'member'))
);
INSERT INTO users_v5 (id, name, created_at, password_hash, role)
SELECT id, name, created_at, password_hash, role FROM users;
DROP TABLE users;
ALTER TABLE users_v5 RENAME TO users;
CREATE UNIQUE INDEX users_name ON users (name COLLATE NOCASE);

-- NULL: signed in with a password. Revoking a key deletes its sessions (revocation is an UPDATE, so this is done by
-- Accounts.revokeKey; the cascade covers keys deleted with their user).
ALTER TABLE sessions ADD COLUMN key_id INTEGER REFERENCES api_keys (id) ON DELETE CASCADE;
CREATE INDEX sessions_key ON sessions (key_id);
