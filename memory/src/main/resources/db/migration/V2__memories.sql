-- V2: the retrieval memory (facts, preferences, corrections, events the user told), its search indexes, and a
-- search index over past messages. The FTS tables hold search terms computed in Java (SearchTerms: lower-cased,
-- NFKC, CJK runs split into overlapping bigrams), kept in step with their rows in the same transaction.

CREATE TABLE memories (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id           INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind              TEXT    NOT NULL CHECK (kind IN ('fact', 'preference', 'correction', 'event')),
    text              TEXT    NOT NULL,
    source_message_id INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    pinned            INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    superseded_by     INTEGER REFERENCES memories (id) ON DELETE SET NULL,
    -- deleted: never retrieved or shown again; forgotten: deleted, text erased, and its source kept out of training
    state             TEXT    NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'deleted', 'forgotten'))
);

CREATE INDEX memories_by_user ON memories (user_id, state, updated_at);
CREATE INDEX memories_by_source ON memories (source_message_id);
-- pinned memories go into every prompt: found without scanning all of a user's memories
CREATE INDEX memories_pinned ON memories (user_id) WHERE pinned = 1;

CREATE VIRTUAL TABLE memories_fts USING fts5(terms, tokenize = 'porter unicode61 remove_diacritics 2');

-- One vector per memory and embedding model (little-endian float32, L2-normalised).
CREATE TABLE memory_vectors (
    memory_id INTEGER NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
    model     TEXT    NOT NULL,
    vector    BLOB    NOT NULL,
    PRIMARY KEY (memory_id, model)
);

CREATE VIRTUAL TABLE messages_fts USING fts5(terms, tokenize = 'porter unicode61 remove_diacritics 2');

-- Which memories went into the prompt of an answer (shown in the UI next to it), in rank order.
CREATE TABLE message_memories (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    memory_id  INTEGER NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
    rank       INTEGER NOT NULL,
    PRIMARY KEY (message_id, memory_id)
);

CREATE INDEX message_memories_by_memory ON message_memories (memory_id);

-- Per-user switches (e.g. memory_extraction = 'off'); a missing row means the default.
CREATE TABLE user_settings (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name    TEXT    NOT NULL,
    value   TEXT    NOT NULL,
    PRIMARY KEY (user_id, name)
);

-- A user's verdict on an answer; a correction carries what the right answer is.
CREATE TABLE feedback (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    verdict    TEXT    NOT NULL CHECK (verdict IN ('good', 'wrong')),
    correction TEXT,
    created_at INTEGER NOT NULL
);

CREATE INDEX feedback_by_message ON feedback (message_id);

-- Examples for the nightly adapter update that do not come straight from a conversation (corrections), with a weight.
-- messages: the chat as JSON [{"role":..,"content":..}], the last turn being the assistant's target.
CREATE TABLE training_examples (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id           INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source_message_id INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    kind              TEXT    NOT NULL CHECK (kind IN ('correction')),
    messages          TEXT    NOT NULL,
    weight            REAL    NOT NULL CHECK (weight > 0),
    created_at        INTEGER NOT NULL
);

CREATE INDEX training_examples_by_user ON training_examples (user_id, created_at);
