-- Full YSB: JSON events -> filter views -> join ad_id to campaign_id from a static
-- SQLite table -> count per campaign and 10-second event-time window.
-- Available-now over pre-generated files; the noop sink discards results.
SET spark.sql.shuffle.partitions = ${partitions:-4};

CREATE TEMPORARY VIEW events
(user_id STRING, page_id STRING, ad_id STRING, ad_type STRING, event_type STRING,
 event_time STRING, ip_address STRING)
USING json
OPTIONS (path '${input}');

CREATE TEMPORARY TABLE campaigns
USING sqlite
OPTIONS (path '${db}', table 'campaigns');

CREATE STREAMING QUERY ysb_join
USING ${sink:-noop}
OUTPUT MODE update
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT c.campaign_id, window.start, count(*) AS views
   FROM (SELECT ad_id, CAST(CAST(event_time AS BIGINT) / 1000 AS TIMESTAMP) AS ts
         FROM events WHERE event_type = 'view') e
   JOIN campaigns c ON e.ad_id = c.ad_id
   GROUP BY c.campaign_id, window(e.ts, '10 seconds');
