-- Seed demo 12: stream-stream inner join. Ad impressions (InventoryID, CreatedTime,
-- Campaigner) arrive as JSON on the Kafka topic `impressions`, clicks (InventoryID,
-- CreatedTime) on `clicks`; the impression's InventoryID becomes ImpressionID, the
-- click's ClickID, and each click is paired with the impressions of the same id.
-- No watermark: both sides stay in the join's state for ever (unbounded, as in
-- Spark). A pair comes out once, in the trigger in which its later row arrives.
-- Append mode (the only one Spark allows for stream-stream joins), 1-minute trigger.
--
--   spate broker --topic impressions:1 --topic clicks:1 &   # bootstrap.servers=HOST:PORT
--   kcat -b HOST:PORT -t impressions -P   # paste the first block of 12-StreamStreamJoinDemo/events.txt
--   kcat -b HOST:PORT -t clicks -P        # then the second block
--   spate run examples/12-stream-stream-join.sql --var bootstrap=HOST:PORT --var checkpoint=/tmp/chk12
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

CREATE TEMPORARY VIEW impressions AS
SELECT value.InventoryID AS ImpressionID,
       to_timestamp(value.CreatedTime, 'yyyy-MM-dd HH:mm:ss') AS ImpressionTime,
       value.Campaigner AS Campaigner
FROM (SELECT from_json(CAST(value AS STRING),
                       'InventoryID STRING, CreatedTime STRING, Campaigner STRING') AS value
      FROM kafka_impressions);

CREATE TEMPORARY VIEW clicks AS
SELECT value.InventoryID AS ClickID,
       to_timestamp(value.CreatedTime, 'yyyy-MM-dd HH:mm:ss') AS ClickTime
FROM (SELECT from_json(CAST(value AS STRING), 'InventoryID STRING, CreatedTime STRING') AS value
      FROM kafka_clicks);

CREATE STREAMING QUERY `Stream Stream Join`
USING console
OPTIONS (truncate false)
OUTPUT MODE append
TRIGGER PROCESSING TIME '${interval:-1 minute}'
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT ImpressionID, Campaigner, ImpressionTime, ClickID, ClickTime
   FROM impressions JOIN clicks ON ImpressionID = ClickID;
