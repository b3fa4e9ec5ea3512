-- Seed demo 13: stream-stream inner join with watermarks. Impressions
-- (ImpressionID, CreatedTime, Campaigner) on the Kafka topic `impressions` and clicks
-- (ImpressionID, CreatedTime) on `clicks`, both with a 30-minute watermark on their
-- event time; inner join on ImpressionID = ClickID. Rows at or before the previous
-- batch's watermark are dropped as late on each side (Spark 3.4+ rules,
-- spark-semantics.md §5.4, §6.4). Without a time-range condition in the join the
-- watermark cannot bound the state: rows stay, and no no-data batch runs.
-- Append mode, 1-minute trigger.
--
--   spate broker --topic impressions:1 --topic clicks:1 &   # bootstrap.servers=HOST:PORT
--   kcat -b HOST:PORT -t impressions -P   # paste a block's impressions (13-StreamingWatermarkDemo/events.txt;
--   kcat -b HOST:PORT -t clicks -P        #   dashed lines separate blocks), and its clicks
--   spate run examples/13-join-watermark.sql --var bootstrap=HOST:PORT --var checkpoint=/tmp/chk13
SET spark.sql.shuffle.partitions = 2;
SET spark.streaming.stopGracefullyOnShutdown = true;

CREATE TEMPORARY VIEW kafka_impressions
USING kafka
OPTIONS (kafka.bootstrap.servers '${bootstrap}', subscribe '${impressions_topic:-impressions}',
         startingOffsets 'earliest');

CREATE TEMPORARY VIEW kafka_clicks
USING kafka
OPTIONS (kafka.bootstrap.servers '${bootstrap}', subscribe '${clicks_topic:-clicks}',
         startingOffsets 'earliest');

CREATE TEMPORARY VIEW impressions
WATERMARK ImpressionTime DELAY OF '30 minute' AS
SELECT value.ImpressionID AS ImpressionID,
       to_timestamp(value.CreatedTime, 'yyyy-MM-dd HH:mm:ss') AS ImpressionTime,
       value.Campaigner AS Campaigner
FROM (SELECT from_json(CAST(value AS STRING),
                       'ImpressionID STRING, CreatedTime STRING, Campaigner STRING') AS value
      FROM kafka_impressions);

CREATE TEMPORARY VIEW clicks
WATERMARK ClickTime DELAY OF '30 minute' AS
SELECT value.ImpressionID AS ClickID,
       to_timestamp(value.CreatedTime, 'yyyy-MM-dd HH:mm:ss') AS ClickTime
FROM (SELECT from_json(CAST(value AS STRING), 'ImpressionID STRING, CreatedTime STRING') AS value
      FROM kafka_clicks);

CREATE STREAMING QUERY `Join With Watermark`
USING console
OPTIONS (truncate false)
OUTPUT MODE append
TRIGGER PROCESSING TIME '${interval:-1 minute}'
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT ImpressionID, Campaigner, ImpressionTime, ClickID, ClickTime
   FROM impressions JOIN clicks ON ImpressionID = ClickID;
