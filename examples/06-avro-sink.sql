-- Seed demo 06: Avro sink. Reads invoice JSON records from the Kafka topic
-- `invoices`, flattens the line items as demo 03 does (one row per line item) and
-- writes each row to the topic `invoice-items` as Avro: key = InvoiceNumber,
-- value = to_avro(struct(*)), the raw Avro binary encoding of the row (no container
-- header, no schema-registry prefix) under the schema Spark derives from the row
-- type: record "topLevelRecord", every field a ["type", "null"] union. That is the
-- schema of ../shared/seed-demos/07-KafkaAvroSourceDemo/invoice-items, which demo 07
-- reads it with. Exactly once (one Kafka transaction per micro-batch).
--
--   spate broker --topic invoices:1 --topic invoice-items:1 &     # bootstrap.servers=HOST:PORT
--   kcat -b HOST:PORT -t invoices -P -l ../shared/seed-demos/04-KafkaSinkDemo/samples.json
--   spate run examples/06-avro-sink.sql --var bootstrap=HOST:PORT --var checkpoint=/tmp/chk6 \
--         --trigger available-now
SET spark.sql.shuffle.partitions = 3;
SET spark.streaming.stopGracefullyOnShutdown = true;

CREATE TEMPORARY VIEW kafka_invoices
USING kafka
OPTIONS (kafka.bootstrap.servers '${bootstrap}', subscribe '${topic:-invoices}', startingOffsets 'earliest');

CREATE TEMPORARY VIEW invoices AS
SELECT from_json(CAST(value AS STRING),
  'InvoiceNumber STRING, CreatedTime BIGINT, StoreID STRING, PosID STRING, CashierID STRING,
   CustomerType STRING, CustomerCardNo STRING, TotalAmount DOUBLE, NumberOfItems INT,
   PaymentMethod STRING, CGST DOUBLE, SGST DOUBLE, CESS DOUBLE, DeliveryType STRING,
   DeliveryAddress STRUCT<AddressLine: STRING, City: STRING, State: STRING, PinCode: STRING,
                          ContactNumber: STRING>,
   InvoiceLineItems ARRAY<STRUCT<ItemCode: STRING, ItemDescription: STRING, ItemPrice: DOUBLE,
                                 ItemQty: INT, TotalValue: DOUBLE>>') AS value
FROM kafka_invoices;

CREATE TEMPORARY VIEW exploded AS
SELECT value.InvoiceNumber, value.CreatedTime, value.StoreID, value.PosID, value.CustomerType,
       value.CustomerCardNo, value.DeliveryType, value.DeliveryAddress.City,
       value.DeliveryAddress.State, value.DeliveryAddress.PinCode,
       explode(value.InvoiceLineItems) AS LineItem
FROM invoices;

CREATE TEMPORARY VIEW flattened AS
SELECT InvoiceNumber, CreatedTime, StoreID, PosID, CustomerType, CustomerCardNo, DeliveryType,
       City, State, PinCode,
       LineItem.ItemCode, LineItem.ItemDescription, LineItem.ItemPrice, LineItem.ItemQty,
       LineItem.TotalValue
FROM exploded;

CREATE STREAMING QUERY `Flattened Invoice Writer`
USING kafka
OPTIONS (kafka.bootstrap.servers '${bootstrap}', topic '${output_topic:-invoice-items}')
OUTPUT MODE append
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT InvoiceNumber AS key, to_avro(struct(*)) AS value
   FROM flattened;
