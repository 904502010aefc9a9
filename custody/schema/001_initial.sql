-- hozen custody ledger, schema version 1. See docs/custody.md.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY, -- format, schema_version, ledger_id, created_at, description, hash_rule
    value TEXT NOT NULL
) WITHOUT ROWID;

-- One row per custody event. Rows are never updated or deleted (see the
-- triggers below); the hash chain and the Merkle tree catch a row changed
-- by a tool that ignores the triggers.
CREATE TABLE events (
    ledger             TEXT    NOT NULL, -- chain the event belongs to: meta.ledger_id here, another ledger's id if imported
    seq                INTEGER NOT NULL CHECK (seq >= 1), -- position in that chain, from 1, no gaps
    id                 TEXT    NOT NULL UNIQUE, -- UUIDv7 of the event
    at                 TEXT    NOT NULL, -- when it was recorded, UTC, RFC 3339 with nanoseconds
    actor              TEXT    NOT NULL, -- who acted (examiner, courier, custodian)
    action             TEXT    NOT NULL, -- collected, sealed, verified, transferred, received, accessed, extracted, exported, note, imported
    case_id            TEXT    NOT NULL DEFAULT '',
    bundle_id          TEXT    NOT NULL DEFAULT '', -- UUIDv7 of the evidence bundle
    bundle_file        TEXT    NOT NULL DEFAULT '', -- bundle file name, without directory
    bundle_sha256      TEXT    NOT NULL DEFAULT '', -- SHA-256 of the bundle file, hex (sha256sum BUNDLE)
    bundle_head        TEXT    NOT NULL DEFAULT '', -- chain head of the bundle's records, hex
    bundle_merkle_root TEXT    NOT NULL DEFAULT '', -- Merkle root of the bundle's records, hex
    host               TEXT    NOT NULL DEFAULT '', -- machine where the action took place
    location           TEXT    NOT NULL DEFAULT '', -- where the evidence was (room, safe, courier)
    recipient          TEXT    NOT NULL DEFAULT '', -- who received custody (transferred)
    reason             TEXT    NOT NULL DEFAULT '', -- why; free text
    outcome            TEXT    NOT NULL DEFAULT '', -- result of a verification: intact, tampered, incomplete
    source_ledger      TEXT    NOT NULL DEFAULT '', -- imported: id of the ledger folded in
    source_size        INTEGER NOT NULL DEFAULT 0,  -- imported: its number of events then
    source_root        TEXT    NOT NULL DEFAULT '', -- imported: its Merkle root then, hex
    signature          TEXT    NOT NULL DEFAULT '', -- optional SSHSIG of the actor (namespace hozen-custody-event)
    prev               TEXT    NOT NULL, -- hash of the event before in the chain (64 zeros for the first)
    hash               TEXT    NOT NULL UNIQUE, -- SHA-256 of record, hex: printf '%s' "$record" | sha256sum
    record             TEXT    NOT NULL, -- the exact bytes hashed: canonical JSON of the columns above
    PRIMARY KEY (ledger, seq)
);

CREATE INDEX events_case ON events (case_id);
CREATE INDEX events_bundle ON events (bundle_id);
CREATE INDEX events_bundle_sha256 ON events (bundle_sha256);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'custody ledger is append-only: an event cannot be changed; record a new event instead');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'custody ledger is append-only: an event cannot be deleted; record a new event instead');
END;

CREATE TRIGGER meta_no_delete BEFORE DELETE ON meta
BEGIN
    SELECT RAISE(ABORT, 'custody ledger metadata cannot be deleted');
END;

CREATE TRIGGER meta_keep_ledger_id BEFORE UPDATE OF value ON meta
WHEN OLD.key IN ('ledger_id', 'created_at')
BEGIN
    SELECT RAISE(ABORT, 'custody ledger id and creation time cannot be changed');
END;

-- The custody trail as people read it: every event, oldest first, with the
-- chain it came from ('here' or the id of the imported ledger).
CREATE VIEW trail AS
SELECT
    CASE WHEN e.ledger = (SELECT value FROM meta WHERE key = 'ledger_id') THEN 'here' ELSE e.ledger END AS origin,
    e.seq, e.at, e.action, e.actor, e.case_id, e.bundle_file, e.bundle_sha256,
    e.recipient, e.location, e.host, e.outcome, e.reason, e.id
FROM events AS e
ORDER BY e.at, e.ledger, e.seq;
