-- Materialized rollups for the dashboards: per user per hour, and per session.
-- They are fed by inserts into ingate.requests, which the consumer never repeats for a request id.
CREATE TABLE IF NOT EXISTS ingate.usage_user_hourly
(
    hour            DateTime('UTC'),
    user_id         String,
    provider        LowCardinality(String),
    model           LowCardinality(String),
    requests        AggregateFunction(count),
    errors          AggregateFunction(countIf, UInt8),
    input_tokens    AggregateFunction(sum, UInt32),
    output_tokens   AggregateFunction(sum, UInt32),
    cost_usd        AggregateFunction(sum, Float64),
    latency_ms      AggregateFunction(quantiles(0.5, 0.95), Float32)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (user_id, hour, provider, model)
TTL hour + INTERVAL {ttl_days} DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS ingate.usage_user_hourly_mv TO ingate.usage_user_hourly AS
SELECT
    toStartOfHour(ts) AS hour,
    user_id,
    provider,
    model,
    countState() AS requests,
    countIfState(status >= 400) AS errors,
    sumState(input_tokens) AS input_tokens,
    sumState(output_tokens) AS output_tokens,
    sumState(cost_usd) AS cost_usd,
    quantilesState(0.5, 0.95)(latency_ms) AS latency_ms
FROM ingate.requests
GROUP BY hour, user_id, provider, model;

CREATE TABLE IF NOT EXISTS ingate.usage_session
(
    session_id      String,
    user_id         String,
    first_seen      SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen       SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    requests        AggregateFunction(count),
    errors          AggregateFunction(countIf, UInt8),
    input_tokens    AggregateFunction(sum, UInt32),
    output_tokens   AggregateFunction(sum, UInt32),
    cost_usd        AggregateFunction(sum, Float64)
)
ENGINE = AggregatingMergeTree
ORDER BY (session_id, user_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS ingate.usage_session_mv TO ingate.usage_session AS
SELECT
    session_id,
    user_id,
    min(ts) AS first_seen,
    max(ts) AS last_seen,
    countState() AS requests,
    countIfState(status >= 400) AS errors,
    sumState(input_tokens) AS input_tokens,
    sumState(output_tokens) AS output_tokens,
    sumState(cost_usd) AS cost_usd
FROM ingate.requests
WHERE session_id != ''
GROUP BY session_id, user_id;
