-- Seed demo 04: Kafka sink. Reads invoices from the Kafka topic `invoices` and
-- writes one loyalty notification per invoice to the topic `notifications`:
-- key = InvoiceNumber, value = JSON {CustomerCardNo, TotalAmount,
-- EarnedLoyaltyPoints = TotalAmount * 0.2}. Exactly once: the sink's
-- transactional producer commits each micro-batch as one Kafka transaction
-- (read the output with isolation.level=read_committed).
-- As in the demo, the query uses the default trigger (micro-batches back to back).
--
--   spate broker --topic invoices:1 --topic notifications:1 &
--   kcat -b HOST:PORT -t invoices -P -l ../shared/seed-demos/04-KafkaSinkDemo/samples.json
--   spate run examples/04-kafka-sink.sql --var bootstrap=HOST:PORT --var checkpoint=/tmp/chk \
--         --trigger available-now
--   kcat -b HOST:PORT -t notifications -C -e -X isolation.level=read_committed -f '%k %s\n'
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

CREATE TEMPORARY VIEW notifications AS
SELECT value.InvoiceNumber, value.CustomerCardNo, value.TotalAmount,
       value.TotalAmount * 0.2 AS EarnedLoyaltyPoints
FROM invoices;

CREATE STREAMING QUERY `Notification Writer`
USING kafka
OPTIONS (kafka.bootstrap.servers '${bootstrap}', topic '${output_topic:-notifications}')
OUTPUT MODE append
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT InvoiceNumber AS key,
          to_json(named_struct('CustomerCardNo', CustomerCardNo,
                               'TotalAmount', TotalAmount,
                               'EarnedLoyaltyPoints', TotalAmount * 0.2)) AS value
   FROM notifications;
