-- Fault-tolerance tests: stateless file -> file copy of {"seq":K} lines
-- (spate gen seq). One input file per batch; small log intervals so short runs
-- exercise sink-log compaction and purging of old offsets/commits.
SET spark.sql.shuffle.partitions = 2;
SET spark.sql.streaming.fileSink.log.compactInterval = ${compact:-3};
SET spark.sql.streaming.fileSource.log.compactInterval = ${compact:-3};
SET spark.sql.streaming.minBatchesToRetain = ${retain:-3};

CREATE TEMPORARY VIEW seqs (seq BIGINT)
USING json
OPTIONS (path '${input}', maxFilesPerTrigger '${maxfiles:-1}');

CREATE STREAMING QUERY seq_copy
USING json
OPTIONS (path '${output}')
OUTPUT MODE append
TRIGGER PROCESSING TIME '0 seconds'
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT seq FROM seqs;
