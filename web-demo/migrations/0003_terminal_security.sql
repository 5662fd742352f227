-- Terminal security (issue 11): token lifetimes, facility administrators' tokens, and the
-- count of wrong activation codes per facility/user ID and per client.

-- A token's end (Unix seconds). Tokens issued before this migration get the lifetime from
-- their activation, so an old token does not live for ever.
ALTER TABLE terminals ADD COLUMN token_expires_at INTEGER;
UPDATE terminals SET token_expires_at = created_at + 86400;

-- A facility administration's tokens (`myna-demo admin-token`): they may revoke the
-- facility's terminals; a terminal's token may not. Stored only as SHA-256 digests.
CREATE TABLE admin_tokens (
    token_sha256 BLOB PRIMARY KEY CHECK (length(token_sha256) = 32),
    facility_code TEXT NOT NULL REFERENCES facilities (code) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
) STRICT;

-- Wrong activation codes: `scope` is 'facility' (key: facility code and user ID as given)
-- or 'client' (key: the client's IP address). A window starts at its first failure;
-- `locked_until` is set when the window's failures reach the limit.
CREATE TABLE activation_failures (
    scope TEXT NOT NULL CHECK (scope IN ('facility', 'client')),
    key TEXT NOT NULL,
    failures INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    locked_until INTEGER,
    PRIMARY KEY (scope, key)
) STRICT;
