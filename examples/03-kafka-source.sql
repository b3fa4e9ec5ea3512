-- Seed demo 03: Kafka source. Reads invoice JSON records from the Kafka topic
-- `invoices` (from the earliest offset), parses them with from_json and an
-- explicit schema, flattens the line items as demo 02 does and appends them to
-- JSON files in ${output} (exactly once, through the _spark_metadata log).
--
--   spate broker --topic invoices:1 &          # prints bootstrap.servers=HOST:PORT
--   kcat -b HOST:PORT -t invoices -P -l ../shared/seed-demos/04-KafkaSinkDemo/samples.json
--   spate run examples/03-kafka-source.sql --var bootstrap=HOST:PORT --var output=/tmp/out \
--         --var checkpoint=/tmp/chk --trigger available-now
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
       value.PaymentMethod, value.DeliveryType, value.DeliveryAddress.City,
       value.DeliveryAddress.State, value.DeliveryAddress.PinCode,
       explode(value.InvoiceLineItems) AS LineItem
FROM invoices;

CREATE STREAMING QUERY `Flattened Invoice Writer`
USING json
OPTIONS (path '${output}')
OUTPUT MODE append
TRIGGER PROCESSING TIME '${interval:-1 minute}'
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT InvoiceNumber, CreatedTime, StoreID, PosID, CustomerType, PaymentMethod, DeliveryType,
          City, State, PinCode,
          LineItem.ItemCode, LineItem.ItemDescription, LineItem.ItemPrice, LineItem.ItemQty,
          LineItem.TotalValue
   FROM exploded;
