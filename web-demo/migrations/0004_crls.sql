-- Revocation as a relying party: the service keeps the CA's CRL itself, not serials copied
-- out of it. One current CRL per issuing CA, keyed by the SHA-256 of that CA certificate's
-- SubjectPublicKeyInfo (J-LIS CA generations share one DN, so a name cannot key it). The
-- service verifies the DER against its trust anchors when it loads it and checks
-- thisUpdate/nextUpdate on every use (`src/revocation.rs`); the columns besides `der` are
-- for `myna-demo crl list` and for refusing an older CRL over a newer one.
CREATE TABLE crls (
    issuer_key TEXT PRIMARY KEY,
    der BLOB NOT NULL,
    this_update INTEGER NOT NULL,
    next_update INTEGER,
    crl_number TEXT,
    entries INTEGER NOT NULL,
    loaded_at INTEGER NOT NULL
) STRICT;

-- Bumped by every change to `crls`: a running service compares it with the generation it
-- loaded and reloads on a difference (`myna-demo crl load` against a live database).
CREATE TABLE crl_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
) STRICT;
INSERT INTO crl_generation (id, generation) VALUES (1, 0);

-- Serials alone (no issuer) cannot say which CA generation revoked a certificate.
DROP TABLE revoked_serials;
