-- Seed demo 14: stream-stream left outer join. Impressions (ImpressionID,
-- CreatedTime, Campaigner) on the Kafka topic `impressions` and clicks (ImpressionID,
-- CreatedTime) on `clicks`, both with a 30-minute watermark; each impression is
-- joined with its clicks of the next 15 minutes
-- (ClickTime BETWEEN ImpressionTime AND ImpressionTime + INTERVAL 15 MINUTE).
-- The time range and the watermarks bound the state: once the watermark (the
-- minimum of both inputs') passes ImpressionTime + 15 minutes no click can match any
-- more, the impression leaves the state and, if it never matched, comes out with
-- NULL click columns (in that trigger's batch, a no-data batch if nothing arrived).
-- Append mode, 1-minute trigger.
--
--   spate broker --topic impressions:1 --topic clicks:1 &   # bootstrap.servers=HOST:PORT
--   kcat -b HOST:PORT -t impressions -P   # paste a block's impressions (14-StreamingOuterJoinDemo/events.txt;
--   kcat -b HOST:PORT -t clicks -P        #   dashed lines separate blocks), and its clicks
--   spate run examples/14-outer-join.sql --var bootstrap=HOST:PORT --var checkpoint=/tmp/chk14
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

CREATE STREAMING QUERY `Outer Join`
USING console
OPTIONS (truncate false)
OUTPUT MODE append
TRIGGER PROCESSING TIME '${interval:-1 minute}'
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT ImpressionID, Campaigner, ImpressionTime, ClickID, ClickTime
   FROM impressions LEFT OUTER JOIN clicks
     ON ImpressionID = ClickID
    AND ClickTime BETWEEN ImpressionTime AND ImpressionTime + INTERVAL 15 MINUTE;
