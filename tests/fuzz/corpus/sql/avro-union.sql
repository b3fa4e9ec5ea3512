SET spark.sql.session.timeZone = America/New_York;
CREATE TEMPORARY VIEW k USING kafka OPTIONS (kafka.bootstrap.servers '${bootstrap}', subscribe 't');
CREATE STREAMING QUERY a USING kafka OPTIONS (kafka.bootstrap.servers '${bootstrap}', topic 'out')
TRIGGER AVAILABLE NOW
AS SELECT CAST(key AS STRING) AS key, to_avro(struct(*)) AS value FROM k
   UNION ALL SELECT 'x' AS key, to_json(named_struct('a', 1, 'b', date_format(current_timestamp(), 'yyyy'))) AS value FROM k;
CREATE STREAMING QUERY b USING console
AS SELECT from_avro(value, '${file:schema}') AS v, regexp_extract(topic, '(\\w+)', 1) AS t FROM k
   HAVING v IS NOT NULL;
