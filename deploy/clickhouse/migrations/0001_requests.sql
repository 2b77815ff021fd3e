-- One row per request the edge answered. Duplicated deliveries are filtered by the analytics
-- consumer before insert and collapsed by ReplacingMergeTree; exact queries read with FINAL.
CREATE DATABASE IF NOT EXISTS ingate;

CREATE TABLE IF NOT EXISTS ingate.requests
(
    ts              DateTime64(3, 'UTC'),
    request_id      String,
    key_id          LowCardinality(String),
    user_id         String,
    session_id      String,
    provider        LowCardinality(String),
    model           LowCardinality(String),
    endpoint        LowCardinality(String),
    method          LowCardinality(String),
    status          UInt16,
    stream          Bool,
    translated      Bool,
    input_tokens    UInt32,
    output_tokens   UInt32,
    cached_tokens   UInt32,
    cost_usd        Float64,
    price_known     Bool,
    latency_ms      Float32,
    ttfb_ms         Float32,
    upstream_ms     Float32,
    request_bytes   UInt32,
    response_bytes  UInt32,
    error_type      LowCardinality(String),
    inserted_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (toDate(ts), request_id)
TTL toDateTime(ts) + INTERVAL {ttl_days} DAY;
