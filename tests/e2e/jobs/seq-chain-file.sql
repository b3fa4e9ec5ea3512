-- Fault-tolerance tests: two chained stateful operators (Spark 3.4+): 5-second
-- windows of timestamp_seconds(seq) counted, then those windows counted again in
-- 15-second windows over window_time(w), append mode, file sink. Each 15-second
-- window is written once, as {"seq":<window start>,"n":3,"s":<sum of its seqs>},
-- when the propagated watermark passes its end. Each batch commits both operators'
-- state stores, so a crash can fall between them.
SET spark.sql.shuffle.partitions = 2;
SET spark.sql.streaming.minBatchesToRetain = ${retain:-3};
SET spark.sql.streaming.stateStore.minDeltasForSnapshot = 2;
SET spark.sql.streaming.fileSink.log.compactInterval = ${compact:-3};

CREATE TEMPORARY VIEW seqs (seq BIGINT)
USING json
OPTIONS (path '${input}', maxFilesPerTrigger '1');

CREATE TEMPORARY VIEW ev WATERMARK t DELAY OF '0 seconds' AS
SELECT seq, timestamp_seconds(seq) AS t FROM seqs;

CREATE TEMPORARY VIEW fives AS
SELECT window AS w, count(*) AS n, sum(seq) AS s FROM ev GROUP BY window(t, '5 seconds');

CREATE STREAMING QUERY seq_chain
USING json
OPTIONS (path '${output}')
OUTPUT MODE append
TRIGGER PROCESSING TIME '0 seconds'
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT CAST(window.start AS BIGINT) AS seq, count(*) AS n, sum(s) AS s
   FROM fives GROUP BY window(window_time(w), '15 seconds');
