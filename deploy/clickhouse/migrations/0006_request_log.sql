-- The request log and the audit trail. `attempt_targets`: the target ("provider/model") of every
-- upstream attempt, in order (rows stored before read [], their one attempt being provider/model).
-- `request_payloads`: a captured request's bodies, one row per request id like `requests`; kept
-- `payloads.ttl_days` (the service sets that TTL again at every start, so a changed setting takes
-- effect). `audit`: one row per administrative change, by audit id; never expires.
ALTER TABLE ingate.requests ADD COLUMN IF NOT EXISTS attempt_targets Array(LowCardinality(String)) DEFAULT [] AFTER attempt_errors;

CREATE TABLE IF NOT EXISTS ingate.request_payloads
(
    ts              DateTime64(3, 'UTC'),
    request_id      String,
    request_body    String CODEC(ZSTD(3)),
    response_body   String CODEC(ZSTD(3)),
    truncated       Bool,
    redacted        Bool,
    inserted_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (toDate(ts), request_id)
TTL toDateTime(ts) + INTERVAL {payloads_ttl_days} DAY;

CREATE TABLE IF NOT EXISTS ingate.audit
(
    ts              DateTime64(3, 'UTC'),
    audit_id        String,
    actor           String,
    action          LowCardinality(String),
    target          String,
    before          String,
    after           String,
    inserted_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (toDate(ts), audit_id);
