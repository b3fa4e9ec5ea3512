-- Seed demo 07: Avro source. Reads the Avro line items demo 06 writes to the Kafka
-- topic `invoice-items`, decodes them with from_avro and the schema in the file
-- given by var `schema` (${file:schema} inserts that file's content: see
-- docs/sql.md), keeps PRIME customers and aggregates per CustomerCardNo:
-- TotalPurchase = sum(TotalValue), AggregatedRewards = sum(CAST(TotalValue * 0.2 AS INT)).
-- Update mode: every trigger writes the totals it changed to the topic
-- `customer-rewards` (key = CustomerCardNo, value = JSON), exactly once.
--
--   (run demo 06 first, on the same broker)
--   spate run examples/07-avro-source.sql --var bootstrap=HOST:PORT --var checkpoint=/tmp/chk7 \
--         --var schema=../shared/seed-demos/07-KafkaAvroSourceDemo/invoice-items --trigger available-now
--   kcat -b HOST:PORT -t customer-rewards -C -e -X isolation.level=read_committed -f '%k %s\n'
SET spark.sql.shuffle.partitions = 2;
SET spark.streaming.stopGracefullyOnShutdown = true;

CREATE TEMPORARY VIEW kafka_items
USING kafka
OPTIONS (kafka.bootstrap.servers '${bootstrap}', subscribe '${topic:-invoice-items}', startingOffsets 'earliest');

CREATE TEMPORARY VIEW items AS
SELECT from_avro(value, '${file:schema}') AS value
FROM kafka_items;

CREATE TEMPORARY VIEW rewards AS
SELECT value.CustomerCardNo AS CustomerCardNo,
       sum(value.TotalValue) AS TotalPurchase,
       sum(CAST(value.TotalValue * 0.2 AS INT)) AS AggregatedRewards
FROM items
WHERE value.CustomerType = 'PRIME'
GROUP BY value.CustomerCardNo;

CREATE STREAMING QUERY `Rewards Writer`
USING kafka
OPTIONS (kafka.bootstrap.servers '${bootstrap}', topic '${output_topic:-customer-rewards}')
OUTPUT MODE update
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT CustomerCardNo AS key,
          to_json(struct(TotalPurchase, AggregatedRewards)) AS value
   FROM rewards;
