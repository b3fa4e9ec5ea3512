-- Seed demo 10: watermark. Demo 08's tumbling-window trade totals with a 30-minute
-- watermark on CreatedTime: once the watermark (max event time - 30 minutes) passes
-- a window's end, the window's state is dropped and later trades for it are ignored
-- as late (Spark 3.4+ rules, spark-semantics.md §5.4). Update mode, 30-second trigger.
--
--   spate broker --topic trades:1 &
--   kcat -b HOST:PORT -t trades -P   # paste the first block of 10-WatermarkDemo/samples.txt,
--                                    # wait a few triggers, then the second block
--   spate run examples/10-watermark.sql --var bootstrap=HOST:PORT --var checkpoint=/tmp/chk10
SET spark.sql.shuffle.partitions = 2;
SET spark.streaming.stopGracefullyOnShutdown = true;

CREATE TEMPORARY VIEW kafka_trades
USING kafka
OPTIONS (kafka.bootstrap.servers '${bootstrap}', subscribe '${topic:-trades}', startingOffsets 'earliest');

CREATE TEMPORARY VIEW trades
WATERMARK CreatedTime DELAY OF '30 minute' AS
SELECT to_timestamp(value.CreatedTime, 'yyyy-MM-dd HH:mm:ss') AS CreatedTime,
       CASE WHEN value.Type = 'BUY' THEN value.Amount ELSE 0 END AS Buy,
       CASE WHEN value.Type = 'SELL' THEN value.Amount ELSE 0 END AS Sell
FROM (SELECT from_json(CAST(value AS STRING),
                       'CreatedTime STRING, Type STRING, Amount INT, BrokerCode STRING') AS value
      FROM kafka_trades);

CREATE STREAMING QUERY `Watermark Demo`
USING console
OPTIONS (truncate false)
OUTPUT MODE update
TRIGGER PROCESSING TIME '${interval:-30 seconds}'
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT window.start, window.end, sum(Buy) AS TotalBuy, sum(Sell) AS TotalSell
   FROM trades
   GROUP BY window(CreatedTime, '15 minute');
