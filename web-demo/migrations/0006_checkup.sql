-- 受診券 checks of a checkup centre: the facility's 委託元保険者一覧 (contracted insurers), the
-- day's roster (受診者名簿) and the checks matched to it; audit kinds for each change.
CREATE TABLE contracted_insurers (
    facility_code TEXT NOT NULL REFERENCES facilities (code) ON DELETE CASCADE,
    insurer_number TEXT NOT NULL,
    name TEXT,
    PRIMARY KEY (facility_code, insurer_number)
) STRICT;

-- One examinee of one day; the voucher in normal form as JSON (keys as in the JS Voucher).
CREATE TABLE roster_rows (
    id INTEGER PRIMARY KEY,
    facility_code TEXT NOT NULL REFERENCES facilities (code) ON DELETE CASCADE,
    day TEXT NOT NULL,
    line INTEGER NOT NULL,
    voucher TEXT NOT NULL
) STRICT;
CREATE INDEX roster_by_day ON roster_rows (facility_code, day, id);

-- One check of the day: what the reception page decided (problem codes as a JSON array, empty:
-- honoured), the person it showed (JSON, for matching and the export), and when the check was
-- done at the desk (queued_at, for a check queued offline) and recorded here.
CREATE TABLE day_checks (
    id INTEGER PRIMARY KEY,
    facility_code TEXT NOT NULL REFERENCES facilities (code) ON DELETE CASCADE,
    day TEXT NOT NULL,
    row_id INTEGER REFERENCES roster_rows (id) ON DELETE SET NULL,
    terminal_id TEXT REFERENCES terminals (id) ON DELETE SET NULL,
    operator TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('pin', 'visual', 'numbers', 'portal', 'notice', 'certificate',
                                       'official-app')),
    problems TEXT NOT NULL,
    person TEXT NOT NULL,
    checked_at INTEGER NOT NULL,
    queued_at INTEGER,
    recorded_at INTEGER NOT NULL
) STRICT;
CREATE INDEX day_checks_by_day ON day_checks (facility_code, day, id);

-- The audit table is rebuilt for the new kinds (SQLite cannot alter a CHECK constraint); its
-- modes stay those of 0005 (with 'official-app').
CREATE TABLE audit_new (
    id INTEGER PRIMARY KEY,
    occurred_at INTEGER NOT NULL,
    facility_code TEXT REFERENCES facilities (code) ON DELETE CASCADE,
    terminal_id TEXT REFERENCES terminals (id) ON DELETE CASCADE,
    operator TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('confirmation', 'search', 'fallback',
        'contracted-insurers', 'roster', 'day-check')),
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

-- The simulator's search compares insurer number, 記号 and 番号 by their normalised keys (in
-- Rust): it selects by birth date and branch, then filters.
CREATE INDEX insured_records_by_birthdate ON insured_records (birthdate, insured_branch_number);
