-- Seed demo 08: tumbling window. Stock trades arrive as JSON on the Kafka topic
-- `trades`; every 15-minute window of CreatedTime gets the total bought and sold.
-- Update mode: each trigger prints the windows its trades changed.
--
--   spate broker --topic trades:1 &                      # bootstrap.servers=HOST:PORT
--   kcat -b HOST:PORT -t trades -P -l ../shared/seed-demos/08-TumblingWindowDemo/samples.txt
--   spate run examples/08-tumbling-window.sql --var bootstrap=HOST:PORT --var checkpoint=/tmp/chk8
SET spark.sql.shuffle.partitions = 2;
SET spark.streaming.stopGracefullyOnShutdown = true;

CREATE TEMPORARY VIEW kafka_trades
USING kafka
OPTIONS (kafka.bootstrap.servers '${bootstrap}', subscribe '${topic:-trades}', startingOffsets 'earliest');

CREATE TEMPORARY VIEW trades AS
SELECT to_timestamp(value.CreatedTime, 'yyyy-MM-dd HH:mm:ss') AS CreatedTime,
       CASE WHEN value.Type = 'BUY' THEN value.Amount ELSE 0 END AS Buy,
       CASE WHEN value.Type = 'SELL' THEN value.Amount ELSE 0 END AS Sell
FROM (SELECT from_json(CAST(value AS STRING),
                       'CreatedTime STRING, Type STRING, Amount INT, BrokerCode STRING') AS value
      FROM kafka_trades);

CREATE STREAMING QUERY `Tumbling Window`
USING console
OPTIONS (truncate false)
OUTPUT MODE update
TRIGGER PROCESSING TIME '${interval:-1 minute}'
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT window.start, window.end, sum(Buy) AS TotalBuy, sum(Sell) AS TotalSell
   FROM trades
   GROUP BY window(CreatedTime, '15 minute');
