-- Seed demo 02: file stream of invoices, flattened to one JSON row per line item.
-- Reads JSON invoice files from ${input} one file per micro-batch (schema
-- inferred), explodes the line items and appends them to JSON files in ${output}
-- (exactly once, through the _spark_metadata log).
--
--   spate gen invoices --out /tmp/in --files 3 --per-file 100
--   spate run examples/02-file-stream.sql --var input=/tmp/in --var output=/tmp/out \
--         --var checkpoint=/tmp/chk --trigger available-now
SET spark.sql.streaming.schemaInference = true;
SET spark.sql.shuffle.partitions = 3;
SET spark.streaming.stopGracefullyOnShutdown = true;

CREATE TEMPORARY VIEW invoices
USING json
OPTIONS (path '${input}', maxFilesPerTrigger '1');

CREATE TEMPORARY VIEW exploded AS
SELECT InvoiceNumber, CreatedTime, StoreID, PosID, CustomerType, PaymentMethod, DeliveryType,
       DeliveryAddress.City, DeliveryAddress.State, DeliveryAddress.PinCode,
       explode(InvoiceLineItems) AS LineItem
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
