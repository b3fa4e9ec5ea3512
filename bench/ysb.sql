-- YSB without the join: JSON events -> filter views -> count per ad and 10-second
-- event-time window. Available-now over pre-generated files; the noop sink
-- discards results so the number measures the engine.
SET spark.sql.shuffle.partitions = ${partitions:-4};

CREATE TEMPORARY VIEW events
(user_id STRING, page_id STRING, ad_id STRING, ad_type STRING, event_type STRING,
 event_time STRING, ip_address STRING)
USING json
OPTIONS (path '${input}');

CREATE STREAMING QUERY ysb
USING ${sink:-noop}
OUTPUT MODE update
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT ad_id, window.start, count(*) AS views
   FROM (SELECT ad_id, CAST(CAST(event_time AS BIGINT) / 1000 AS TIMESTAMP) AS ts
         FROM events WHERE event_type = 'view')
   GROUP BY ad_id, window(ts, '10 seconds');
