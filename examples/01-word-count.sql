-- Seed demo 01: streaming word count.
-- Lines arrive on a TCP socket (e.g. `nc -lk 9999`); every trigger prints the
-- complete table of word counts to the console.
--
--   nc -lk 9999 &
--   spate run examples/01-word-count.sql --var port=9999 --var checkpoint=/tmp/wc-chk
--
-- Spark equivalent: spark.readStream.format("socket").option(...).load()
--   .select(explode(split("value", " ")).alias("word")).groupBy("word").count()
--   .writeStream.format("console").outputMode("complete").start()
SET spark.sql.shuffle.partitions = 3;
SET spark.streaming.stopGracefullyOnShutdown = true;

CREATE TEMPORARY VIEW lines
USING socket
OPTIONS (host '${host:-localhost}', port '${port:-9999}');

CREATE TEMPORARY VIEW words AS
SELECT explode(split(value, ' ')) AS word
FROM lines;

CREATE STREAMING QUERY word_count
USING console
OUTPUT MODE complete
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT word, count(*) AS count
   FROM words
   GROUP BY word;
