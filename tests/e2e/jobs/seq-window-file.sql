-- Fault-tolerance tests: stateful windowed count with a watermark in append mode
-- to the file sink: each 5-second window of timestamp_seconds(seq) is written
-- once, when the watermark passes its end, as {"seq":<window start = first seq>,"n":5,"s":<sum>}
-- (min(seq) would be the natural key, but min/max crash in windowed append, see report).
SET spark.sql.shuffle.partitions = 2;
SET spark.sql.streaming.minBatchesToRetain = ${retain:-3};
SET spark.sql.streaming.stateStore.minDeltasForSnapshot = 2;
SET spark.sql.streaming.fileSink.log.compactInterval = ${compact:-3};

CREATE TEMPORARY VIEW seqs (seq BIGINT)
USING json
OPTIONS (path '${input}', maxFilesPerTrigger '1');

CREATE TEMPORARY VIEW ev WATERMARK t DELAY OF '0 seconds' AS
SELECT seq, timestamp_seconds(seq) AS t FROM seqs;

CREATE STREAMING QUERY seq_windows
USING json
OPTIONS (path '${output}')
OUTPUT MODE append
TRIGGER PROCESSING TIME '0 seconds'
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT CAST(window.start AS BIGINT) AS seq, count(*) AS n, sum(seq) AS s FROM ev GROUP BY window(t, '5 seconds');
