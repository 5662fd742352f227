-- 0001: the initial schema of the eligibility service simulator.
-- Times are Unix seconds (UTC). Certificate serials are upper-case hex without leading zero
-- bytes (the form myna_core::x509 reports). Secrets are stored only as SHA-256 digests.

CREATE TABLE facilities (
    code TEXT PRIMARY KEY CHECK (length(code) = 10 AND code NOT GLOB '*[^0-9]*'),
    name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    activation_code_sha256 BLOB NOT NULL CHECK (length(activation_code_sha256) = 32),
    pin_mode_enabled INTEGER NOT NULL CHECK (pin_mode_enabled IN (0, 1)),
    visual_mode_enabled INTEGER NOT NULL CHECK (visual_mode_enabled IN (0, 1)),
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE facility_origins (
    facility_code TEXT NOT NULL REFERENCES facilities (code) ON DELETE CASCADE,
    origin TEXT NOT NULL,
    PRIMARY KEY (facility_code, origin)
) STRICT;

CREATE TABLE terminals (
    id TEXT PRIMARY KEY,
    facility_code TEXT NOT NULL REFERENCES facilities (code) ON DELETE CASCADE,
    device_name TEXT NOT NULL,
    token_sha256 BLOB NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;

CREATE INDEX terminals_active_by_facility ON terminals (facility_code) WHERE revoked_at IS NULL;

CREATE TABLE challenges (
    nonce TEXT PRIMARY KEY,
    terminal_id TEXT NOT NULL REFERENCES terminals (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
) STRICT;

CREATE INDEX challenges_by_expiry ON challenges (expires_at);

-- 資格情報 as the national system would hold it, linked to the user-authentication
-- certificate (never to the 個人番号). Column names are the OQS element names in snake_case.
CREATE TABLE insured_records (
    id INTEGER PRIMARY KEY,
    certificate_serial TEXT,
    qualification_validity TEXT NOT NULL,
    insured_card_classification TEXT NOT NULL,
    insurer_number TEXT NOT NULL,
    insurer_name TEXT NOT NULL,
    insured_card_symbol TEXT NOT NULL,
    insured_identification_number TEXT NOT NULL,
    insured_branch_number TEXT NOT NULL,
    personal_family_classification TEXT NOT NULL,
    insured_name TEXT,
    name TEXT NOT NULL,
    name_of_other TEXT,
    name_kana TEXT,
    name_of_other_kana TEXT,
    sex1 TEXT NOT NULL,
    sex2 TEXT,
    birthdate TEXT NOT NULL,
    address TEXT,
    post_number TEXT,
    qualification_date TEXT,
    disqualification_date TEXT,
    insured_certificate_issuance_date TEXT,
    insured_card_valid_date TEXT,
    insured_card_expiration_date TEXT,
    insured_partial_contribution_ratio TEXT,
    preschool_classification TEXT,
    reason_of_loss TEXT,
    elderly_certificate_date TEXT,
    elderly_valid_start_date TEXT,
    elderly_valid_end_date TEXT,
    elderly_contribution_ratio TEXT,
    limit_cons_flg TEXT,
    limit_cons_time TEXT,
    limit_classification TEXT,
    limit_classification_flag TEXT,
    limit_certificate_date TEXT,
    limit_valid_start_date TEXT,
    limit_valid_end_date TEXT,
    limit_long_term_date TEXT
) STRICT;

CREATE INDEX insured_records_by_serial ON insured_records (certificate_serial);
CREATE INDEX insured_records_by_number ON insured_records (
    insurer_number, insured_identification_number, birthdate
);

CREATE TABLE revoked_serials (
    serial TEXT PRIMARY KEY,
    revoked_at INTEGER NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('crl', 'admin'))
) STRICT;

-- What the facility needs to answer "who checked whom, how, with what outcome": never a
-- PIN, never a certificate, never the insurance numbers.
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    occurred_at INTEGER NOT NULL,
    facility_code TEXT REFERENCES facilities (code) ON DELETE CASCADE,
    terminal_id TEXT REFERENCES terminals (id) ON DELETE CASCADE,
    operator TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('confirmation', 'search')),
    mode TEXT CHECK (mode IN ('pin', 'visual', 'numbers')),
    result TEXT NOT NULL CHECK (result IN ('ok', 'error')),
    qualification_validity TEXT,
    error_code TEXT,
    http_status INTEGER NOT NULL
) STRICT;

CREATE INDEX audit_by_facility ON audit (facility_code, id);
