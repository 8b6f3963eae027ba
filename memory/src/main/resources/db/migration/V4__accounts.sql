-- V4: accounts — passwords, roles, API keys and browser sessions.

-- password_hash: an Argon2id PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash); NULL = no password yet (the owner
-- before setup, or a user who only uses API keys).
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'member'));
UPDATE users SET role = 'owner' WHERE id = 1;

-- Names identify users at login; earlier versions allowed duplicates, so later duplicates get their id appended.
UPDATE users SET name = name || '-' || id
WHERE EXISTS (SELECT 1 FROM users u WHERE lower(u.name) = lower(users.name) AND u.id < users.id);
CREATE UNIQUE INDEX users_name ON users (name COLLATE NOCASE);

-- Keys are 256 random bits, so a SHA-256 of the key is enough to store (a slow hash protects guessable secrets only).
-- prefix: the first characters, shown in the UI so the user can tell keys apart. memory: whether chats through this key
-- use and feed the memory (the per-key switch; the user's own api_memory setting still applies when it is on).
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    key_hash     TEXT    NOT NULL UNIQUE,
    memory       INTEGER NOT NULL DEFAULT 1 CHECK (memory IN (0, 1)),
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_keys_user ON api_keys (user_id);

-- Browser sessions. The cookie carries the token; only its SHA-256 is stored. csrf_token is echoed by the UI in the
-- X-CSRF-Token header of every state-changing request.
CREATE TABLE sessions (
    token_hash   TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
