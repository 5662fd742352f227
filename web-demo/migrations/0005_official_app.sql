-- Confirmations done with the government's マイナ資格確認アプリ and pasted into the web screen
-- (mode 'official-app', issue 13). SQLite cannot alter a CHECK constraint, so the table is
-- rebuilt, as 0002 did.
CREATE TABLE audit_new (
    id INTEGER PRIMARY KEY,
    occurred_at INTEGER NOT NULL,
    facility_code TEXT REFERENCES facilities (code) ON DELETE CASCADE,
    terminal_id TEXT REFERENCES terminals (id) ON DELETE CASCADE,
    operator TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('confirmation', 'search', 'fallback')),
    mode TEXT CHECK (mode IN ('pin', 'visual', 'numbers', 'portal', 'notice', 'certificate',
                              'official-app')),
    result TEXT NOT NULL CHECK (result IN ('ok', 'error')),
    qualification_validity TEXT,
    error_code TEXT,
    http_status INTEGER NOT NULL
) STRICT;

INSERT INTO audit_new SELECT id, occurred_at, facility_code, terminal_id, operator, kind, mode,
    result, qualification_validity, error_code, http_status FROM audit;
DROP TABLE audit;
ALTER TABLE audit_new RENAME TO audit;
CREATE INDEX audit_by_facility ON audit (facility_code, id);
