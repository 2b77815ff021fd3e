-- The shared response cache: `cache_hit` marks a request answered from it (no upstream call,
-- cost_usd 0), `cost_saved_usd` what that answer cost when it was first made. Older rows read
-- false and 0.
ALTER TABLE ingate.requests ADD COLUMN IF NOT EXISTS cache_hit Bool DEFAULT false AFTER attempt_targets;

ALTER TABLE ingate.requests ADD COLUMN IF NOT EXISTS cost_saved_usd Float64 DEFAULT 0 AFTER cache_hit;
