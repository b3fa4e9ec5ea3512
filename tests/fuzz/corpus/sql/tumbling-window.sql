SET spark.sql.shuffle.partitions = 2;
CREATE TEMPORARY VIEW kafka_trades USING kafka
OPTIONS (kafka.bootstrap.servers '${bootstrap}', subscribe '${topic:-trades}', startingOffsets 'earliest');
CREATE TEMPORARY VIEW trades AS
SELECT to_timestamp(value.CreatedTime, 'yyyy-MM-dd HH:mm:ss') AS CreatedTime,
       CASE WHEN value.Type = 'BUY' THEN value.Amount ELSE 0 END AS Buy,
       CASE WHEN value.Type = 'SELL' THEN value.Amount ELSE 0 END AS Sell
FROM (SELECT from_json(CAST(value AS STRING), 'CreatedTime STRING, Type STRING, Amount INT') AS value
      FROM kafka_trades);
CREATE STREAMING QUERY `Tumbling Window` USING console OPTIONS (truncate false)
OUTPUT MODE update CHECKPOINT LOCATION '${checkpoint}'
AS SELECT window.start, window.end, sum(Buy) AS TotalBuy, sum(Sell) AS TotalSell
   FROM trades GROUP BY window(CreatedTime, '15 minute', '5 minutes');
