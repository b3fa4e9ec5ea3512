-- Seed demo 05: two queries from one source definition. Reads invoices from the
-- Kafka topic `invoices` once per query and runs both demo 04's notification
-- writer (to the topic `notifications`) and demo 03's flattening writer (JSON
-- files in ${output}). Each query has its own checkpoint under ${checkpoint}.
-- `spate run` returns when both queries have terminated and exits non-zero if
-- either failed (the demo's awaitAnyTermination returns at the first termination;
-- with --trigger available-now both end once the topic is consumed).
-- As in the demo, the notification writer uses the default trigger and the
-- flattening writer a 1-minute processing-time trigger (var interval).
--
--   spate broker --topic invoices:1 --topic notifications:1 &
--   kcat -b HOST:PORT -t invoices -P -l ../shared/seed-demos/04-KafkaSinkDemo/samples.json
--   spate run examples/05-multi-query.sql --var bootstrap=HOST:PORT --var output=/tmp/out \
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

CREATE STREAMING QUERY `Notification Writer`
USING kafka
OPTIONS (kafka.bootstrap.servers '${bootstrap}', topic '${output_topic:-notifications}')
OUTPUT MODE append
CHECKPOINT LOCATION '${checkpoint}/notify'
AS SELECT value.InvoiceNumber AS key,
          to_json(named_struct('CustomerCardNo', value.CustomerCardNo,
                               'TotalAmount', value.TotalAmount,
                               'EarnedLoyaltyPoints', value.TotalAmount * 0.2)) AS value
   FROM invoices;

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
CHECKPOINT LOCATION '${checkpoint}/flatten'
AS SELECT InvoiceNumber, CreatedTime, StoreID, PosID, CustomerType, PaymentMethod, DeliveryType,
          City, State, PinCode,
          LineItem.ItemCode, LineItem.ItemDescription, LineItem.ItemPrice, LineItem.ItemQty,
          LineItem.TotalValue
   FROM exploded;
