-- Fault-tolerance tests: stateful running aggregation (per-key count and sum of
-- {"seq":K} lines) in update or complete mode to the console sink. One input
-- file per batch; snapshots every 2 deltas and a short retention so a dozen
-- batches exercise state snapshots, state maintenance and log purging.
SET spark.sql.shuffle.partitions = 3;
SET spark.sql.streaming.minBatchesToRetain = ${retain:-3};
SET spark.sql.streaming.stateStore.minDeltasForSnapshot = 2;

CREATE TEMPORARY VIEW seqs (seq BIGINT)
USING json
OPTIONS (path '${input}', maxFilesPerTrigger '1');

CREATE STREAMING QUERY seq_agg
USING console
OPTIONS (numRows '1000', truncate 'false')
OUTPUT MODE ${mode:-update}
TRIGGER PROCESSING TIME '0 seconds'
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT seq % 7 AS k, count(*) AS n, sum(seq) AS s FROM seqs GROUP BY seq % 7;
