-- YSB from Kafka (bench/kafka.sh): JSON events in a topic -> from_json -> filter
-- views -> count per ad and 10-second event-time window, as bench/ysb.sql does over
-- files. Available-now; the noop sink discards results so the number measures the
-- consumer (fetch, decode, parse, filter, aggregate).
SET spark.sql.shuffle.partitions = ${partitions:-4};

CREATE TEMPORARY VIEW raw USING kafka
OPTIONS (kafka.bootstrap.servers '${bootstrap}', subscribe '${topic:-ysb}', startingOffsets 'earliest',
         maxOffsetsPerTrigger ${max_offsets:-1000000});

CREATE TEMPORARY VIEW events AS
SELECT e.* FROM (
  SELECT from_json(CAST(value AS STRING),
    'user_id STRING, page_id STRING, ad_id STRING, ad_type STRING, event_type STRING,
     event_time STRING, ip_address STRING') AS e
  FROM raw);

CREATE STREAMING QUERY ysb_kafka
USING ${sink:-noop}
OUTPUT MODE update
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT ad_id, window.start, count(*) AS views
   FROM (SELECT ad_id, CAST(CAST(event_time AS BIGINT) / 1000 AS TIMESTAMP) AS ts
         FROM events WHERE event_type = 'view')
   GROUP BY ad_id, window(ts, '10 seconds');
