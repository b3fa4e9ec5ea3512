-- Fault-tolerance tests (e2e_kill9_stateful): per-key running count and sum in
-- update mode, written exactly once to SQLite by two queries of one job (same
-- input, own checkpoints):
--   kv_totals:  upsert on k into table `totals` of ${db}: one row per key, the
--               latest running values;
--   kv_updates: append into table `updates` of ${db_log}: every row each batch
--               emitted, in order (so a replayed or lost batch is visible).
-- Input: {"seq":K,"k":"<key>","t":<epoch seconds>} lines, one file per batch.
SET spark.sql.shuffle.partitions = 3;
SET spark.sql.streaming.minBatchesToRetain = ${retain:-3};
SET spark.sql.streaming.stateStore.minDeltasForSnapshot = 2;
SET spark.sql.streaming.fileSource.log.compactInterval = ${compact:-3};

CREATE TEMPORARY VIEW kv_raw (seq BIGINT, k STRING, t BIGINT)
USING json
OPTIONS (path '${input}', maxFilesPerTrigger '1');

CREATE STREAMING QUERY kv_totals
USING sqlite
OPTIONS (path '${db}', table 'totals', mode 'upsert', keys 'k')
OUTPUT MODE update
TRIGGER PROCESSING TIME '0 seconds'
CHECKPOINT LOCATION '${checkpoint}/totals'
AS SELECT k, count(*) AS n, sum(seq) AS s FROM kv_raw GROUP BY k;

CREATE STREAMING QUERY kv_updates
USING sqlite
OPTIONS (path '${db_log}', table 'updates', mode 'append')
OUTPUT MODE update
TRIGGER PROCESSING TIME '0 seconds'
CHECKPOINT LOCATION '${checkpoint}/updates'
AS SELECT k, count(*) AS n, sum(seq) AS s FROM kv_raw GROUP BY k;
