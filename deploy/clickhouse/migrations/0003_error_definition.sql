-- One definition of an error for every count: status >= 400 (a client gone mid-stream is 499, a
-- provider's broken stream 502) or any record with an error type (a broken stream recorded as 200
-- by earlier versions; an internal failure after the status line went out). The rollups' views are
-- replaced; what they counted before this migration stays as it was counted.
DROP VIEW IF EXISTS ingate.usage_user_hourly_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS ingate.usage_user_hourly_mv TO ingate.usage_user_hourly AS
SELECT
    toStartOfHour(ts) AS hour,
    user_id,
    provider,
    model,
    countState() AS requests,
    countIfState(status >= 400 OR error_type != '') AS errors,
    sumState(input_tokens) AS input_tokens,
    sumState(output_tokens) AS output_tokens,
    sumState(cost_usd) AS cost_usd,
    quantilesState(0.5, 0.95)(latency_ms) AS latency_ms
FROM ingate.requests
GROUP BY hour, user_id, provider, model;

DROP VIEW IF EXISTS ingate.usage_session_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS ingate.usage_session_mv TO ingate.usage_session AS
SELECT
    session_id,
    user_id,
    min(ts) AS first_seen,
    max(ts) AS last_seen,
    countState() AS requests,
    countIfState(status >= 400 OR error_type != '') AS errors,
    sumState(input_tokens) AS input_tokens,
    sumState(output_tokens) AS output_tokens,
    sumState(cost_usd) AS cost_usd
FROM ingate.requests
WHERE session_id != ''
GROUP BY session_id, user_id;
