-- Seed demo 09: sliding window. Sensor readings arrive on the Kafka topic `sensor`
-- with the sensor id as the record key and {CreatedTime, Reading} as the JSON value;
-- the maximum reading per sensor over 15-minute windows sliding every 5 minutes,
-- with a 30-minute watermark. Update mode.
--
--   spate broker --topic sensor:1 &
--   kcat -b HOST:PORT -t sensor -P -K: -l ../shared/seed-demos/09-SlidingWindowDemo/samples.json
--   spate run examples/09-sliding-window.sql --var bootstrap=HOST:PORT --var checkpoint=/tmp/chk9
SET spark.sql.shuffle.partitions = 1;
SET spark.streaming.stopGracefullyOnShutdown = true;

CREATE TEMPORARY VIEW kafka_sensor
USING kafka
OPTIONS (kafka.bootstrap.servers '${bootstrap}', subscribe '${topic:-sensor}', startingOffsets 'earliest');

CREATE TEMPORARY VIEW readings
WATERMARK CreatedTime DELAY OF '30 minute' AS
SELECT CAST(key AS STRING) AS SensorID,
       to_timestamp(value.CreatedTime, 'yyyy-MM-dd HH:mm:ss') AS CreatedTime,
       value.Reading AS Reading
FROM (SELECT key, from_json(CAST(value AS STRING), 'CreatedTime STRING, Reading DOUBLE') AS value
      FROM kafka_sensor);

CREATE STREAMING QUERY `Sliding Window`
USING console
OPTIONS (truncate false)
OUTPUT MODE update
TRIGGER PROCESSING TIME '${interval:-1 minute}'
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT SensorID, window.start, window.end, max(Reading) AS MaxReading
   FROM readings
   GROUP BY SensorID, window(CreatedTime, '15 minute', '5 minute');
