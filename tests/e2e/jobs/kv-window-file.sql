-- Fault-tolerance tests (e2e_kill9_stateful): windowed count with a watermark in
-- append mode to the file sink. Input: {"seq":K,"k":"<key>","t":<epoch seconds>}
-- lines, one file per batch. Each (10-second window, key) is written once, when the
-- watermark (max t - 10 s) passes the window's end, as
-- {"ws":<window start, epoch s>,"k":"<key>","n":<count>,"s":<sum of seq>}.
-- Small log intervals and snapshot spacing so short runs exercise state snapshots,
-- state maintenance, sink-log compaction and purging.
SET spark.sql.shuffle.partitions = 3;
SET spark.sql.streaming.minBatchesToRetain = ${retain:-3};
SET spark.sql.streaming.stateStore.minDeltasForSnapshot = 2;
SET spark.sql.streaming.fileSink.log.compactInterval = ${compact:-3};
SET spark.sql.streaming.fileSource.log.compactInterval = ${compact:-3};

CREATE TEMPORARY VIEW kv_raw (seq BIGINT, k STRING, t BIGINT)
USING json
OPTIONS (path '${input}', maxFilesPerTrigger '1');

CREATE TEMPORARY VIEW kv_ev WATERMARK ts DELAY OF '10 seconds' AS
SELECT seq, k, timestamp_seconds(t) AS ts FROM kv_raw;

CREATE STREAMING QUERY kv_windows
USING json
OPTIONS (path '${output}')
OUTPUT MODE append
TRIGGER PROCESSING TIME '0 seconds'
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT CAST(window.start AS BIGINT) AS ws, k, count(*) AS n, sum(seq) AS s
   FROM kv_ev GROUP BY window(ts, '10 seconds'), k;
