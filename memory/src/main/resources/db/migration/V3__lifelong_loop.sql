-- V3: the lifelong loop — private conversations, adapter versions per user, and the update jobs that make them.

-- A private conversation is never used for training (it is still searchable and recalled by the user).
ALTER TABLE conversations ADD COLUMN is_private INTEGER NOT NULL DEFAULT 0;

-- One trained adapter per row. state: promoted (passed the gate; serving = 1 marks the one answering now, at most one
-- per user) or rejected (kept for its figures; its file is deleted). file is relative to the data folder, NULL once
-- the retention policy removed it. report: JSON with the dataset counts, replay, metrics and the gate's reasons.
CREATE TABLE adapter_versions (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id               INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    version               INTEGER NOT NULL,
    parent_id             INTEGER REFERENCES adapter_versions (id) ON DELETE SET NULL,
    job_id                INTEGER,
    state                 TEXT    NOT NULL CHECK (state IN ('promoted', 'rejected')),
    serving               INTEGER NOT NULL DEFAULT 0 CHECK (serving IN (0, 1)),
    file                  TEXT,
    sha256                TEXT,
    base_sha256           TEXT    NOT NULL,
    dataset_sha256        TEXT    NOT NULL,
    data_until_message_id INTEGER NOT NULL,
    report                TEXT    NOT NULL,
    reason                TEXT    NOT NULL,
    created_at            INTEGER NOT NULL,
    promoted_at           INTEGER,
    UNIQUE (user_id, version)
);

CREATE UNIQUE INDEX adapter_versions_serving ON adapter_versions (user_id) WHERE serving = 1;

-- Nightly or manual updates. A job found 'running' at start-up was interrupted by a crash and is queued again.
CREATE TABLE update_jobs (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id            INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    origin             TEXT    NOT NULL CHECK (origin IN ('nightly', 'manual')),
    state              TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
    attempts           INTEGER NOT NULL DEFAULT 0,
    not_before         INTEGER NOT NULL,
    phase              TEXT,
    error              TEXT,
    adapter_version_id INTEGER REFERENCES adapter_versions (id) ON DELETE SET NULL,
    created_at         INTEGER NOT NULL,
    started_at         INTEGER,
    finished_at        INTEGER
);

CREATE INDEX update_jobs_by_state ON update_jobs (state, not_before);
CREATE INDEX update_jobs_by_user ON update_jobs (user_id, id);
