CREATE TEMPORARY VIEW ev (id BIGINT, name STRING, ts TIMESTAMP, tags ARRAY<STRING>, p STRUCT<x: DOUBLE>)
USING csv OPTIONS (path '${input}', header 'true', sep ';', mode 'DROPMALFORMED')
WATERMARK ts DELAY OF '1 hour';
CREATE TEMPORARY TABLE users USING sqlite OPTIONS (path '${db}', table 'users');
CREATE STREAMING QUERY q USING memory OUTPUT MODE append
AS SELECT DISTINCT id, upper(name) || '!' AS n, coalesce(p.x, 0.5) * 2 AS x,
          session_window(ts, '5 minutes') AS sw, tags[0] AS t0
   FROM ev DROP DUPLICATES WITHIN WATERMARK (id)
   WHERE name LIKE 'a%' AND id IN (1, 2, 3) AND NOT (id IS NULL);
