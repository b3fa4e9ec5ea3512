-- Seed demo 11, PostgreSQL variant: stream-static join. Logins arrive as JSON
-- (login_id, created_time) on the Kafka topic `logins`; each is joined (inner) with the
-- static `users` table (login_id, user_name, last_login) of the PostgreSQL database given
-- by var `conninfo` (a libpq conninfo string, e.g. 'host=/tmp/pg dbname=postgres
-- user=postgres'; a password is better given in ~/.pgpass or PGPASSWORD), which is read
-- again for every micro-batch, as Spark re-reads a static side. Each batch's
-- (login_id, user_name, created_time AS last_login) rows are upserted back into that
-- table on login_id (INSERT ... ON CONFLICT (login_id) DO UPDATE, the demo's
-- foreachBatch writer), in one transaction per batch together with the batch id in
-- _spate_sink_progress, so a replayed batch is skipped. A login whose user is not in the
-- table is dropped by the inner join.
-- Update mode (stateless query: the rows of each batch), 1-minute trigger.
--
--   psql "$CONNINFO" -c "CREATE TABLE users (login_id TEXT PRIMARY KEY, user_name TEXT,
--                        last_login TIMESTAMP)"      # then the rows of user.cql
--   spate broker --topic logins:1 &                   # bootstrap.servers=HOST:PORT
--   kcat -b HOST:PORT -t logins -P -l ../shared/seed-demos/11-StreamTableJoinDemo/logins.txt
--   spate run examples/11-stream-table-join-postgres.sql --var bootstrap=HOST:PORT \
--         --var checkpoint=/tmp/chk11pg --var conninfo="$CONNINFO"
--   psql "$CONNINFO" -c 'SELECT * FROM users'
SET spark.sql.shuffle.partitions = 2;
SET spark.streaming.stopGracefullyOnShutdown = true;

CREATE TEMPORARY VIEW kafka_logins
USING kafka
OPTIONS (kafka.bootstrap.servers '${bootstrap}', subscribe '${topic:-logins}', startingOffsets 'earliest');

CREATE TEMPORARY VIEW logins AS
SELECT value.login_id AS login_id,
       to_timestamp(value.created_time, 'yyyy-MM-dd HH:mm:ss') AS created_time
FROM (SELECT from_json(CAST(value AS STRING), 'created_time STRING, login_id STRING') AS value
      FROM kafka_logins);

CREATE TEMPORARY TABLE users USING postgres OPTIONS (conninfo '${conninfo}', table '${table:-users}');

CREATE STREAMING QUERY `Stream Table Join`
USING postgres
OPTIONS (conninfo '${conninfo}', table '${table:-users}', mode 'upsert', keys 'login_id')
OUTPUT MODE update
TRIGGER PROCESSING TIME '${interval:-1 minute}'
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT l.login_id, u.user_name, l.created_time AS last_login
   FROM logins l JOIN users u ON l.login_id = u.login_id;
