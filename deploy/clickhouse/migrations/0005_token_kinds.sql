-- Every token kind providers bill, in its own column: `cache_read_tokens` (the old
-- `cached_tokens`, renamed, so rows stored before keep their cache reads), `cache_write_tokens`
-- (5-minute and 1-hour writes), `cache_write_1h_tokens` (the 1-hour part, priced apart, so a row
-- can be re-priced), `reasoning_tokens`; `input_tokens` still includes the cache reads and writes,
-- `output_tokens` the reasoning. `usage_estimated`: a stream reported no usage (or only part) and
-- the missing side was estimated. Older rows read 0 and false. The rollups gain the sums (and a
-- count of estimated requests); what they held before this migration reads 0 for them. Their
-- views are replaced; neither ever selected `cached_tokens`.
ALTER TABLE ingate.requests RENAME COLUMN IF EXISTS cached_tokens TO cache_read_tokens;

ALTER TABLE ingate.requests ADD COLUMN IF NOT EXISTS cache_write_tokens UInt32 DEFAULT 0 AFTER cache_read_tokens;

ALTER TABLE ingate.requests ADD COLUMN IF NOT EXISTS cache_write_1h_tokens UInt32 DEFAULT 0 AFTER cache_write_tokens;

ALTER TABLE ingate.requests ADD COLUMN IF NOT EXISTS reasoning_tokens UInt32 DEFAULT 0 AFTER cache_write_1h_tokens;

ALTER TABLE ingate.requests ADD COLUMN IF NOT EXISTS usage_estimated Bool DEFAULT false AFTER reasoning_tokens;

ALTER TABLE ingate.usage_user_hourly
    ADD COLUMN IF NOT EXISTS cache_read_tokens AggregateFunction(sum, UInt32) AFTER output_tokens,
    ADD COLUMN IF NOT EXISTS cache_write_tokens AggregateFunction(sum, UInt32) AFTER cache_read_tokens,
    ADD COLUMN IF NOT EXISTS reasoning_tokens AggregateFunction(sum, UInt32) AFTER cache_write_tokens,
    ADD COLUMN IF NOT EXISTS estimated AggregateFunction(countIf, UInt8) AFTER reasoning_tokens;

ALTER TABLE ingate.usage_session
    ADD COLUMN IF NOT EXISTS cache_read_tokens AggregateFunction(sum, UInt32) AFTER output_tokens,
    ADD COLUMN IF NOT EXISTS cache_write_tokens AggregateFunction(sum, UInt32) AFTER cache_read_tokens,
    ADD COLUMN IF NOT EXISTS reasoning_tokens AggregateFunction(sum, UInt32) AFTER cache_write_tokens,
    ADD COLUMN IF NOT EXISTS estimated AggregateFunction(countIf, UInt8) AFTER reasoning_tokens;

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
    sumState(cache_read_tokens) AS cache_read_tokens,
    sumState(cache_write_tokens) AS cache_write_tokens,
    sumState(reasoning_tokens) AS reasoning_tokens,
    countIfState(usage_estimated) AS estimated,
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
    sumState(cache_read_tokens) AS cache_read_tokens,
    sumState(cache_write_tokens) AS cache_write_tokens,
    sumState(reasoning_tokens) AS reasoning_tokens,
    countIfState(usage_estimated) AS estimated,
    sumState(cost_usd) AS cost_usd
FROM ingate.requests
WHERE session_id != ''
GROUP BY session_id, user_id;
