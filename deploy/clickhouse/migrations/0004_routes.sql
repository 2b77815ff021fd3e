-- Routing: `route` is the virtual model name a request asked for ('' when it named a model),
-- `attempts` how many upstream attempts it made (0: refused before any), `attempt_errors` the
-- error type of each failed attempt, in order. Rows stored before this migration read the
-- defaults: no route, one attempt, no failed attempt. The rollups select their columns by name,
-- so their views need no change; per-route totals are read exactly from ingate.requests FINAL.
ALTER TABLE ingate.requests ADD COLUMN IF NOT EXISTS route LowCardinality(String) DEFAULT '' AFTER error_type;

ALTER TABLE ingate.requests ADD COLUMN IF NOT EXISTS attempts UInt16 DEFAULT 1 AFTER route;

ALTER TABLE ingate.requests ADD COLUMN IF NOT EXISTS attempt_errors Array(LowCardinality(String)) DEFAULT [] AFTER attempts;
