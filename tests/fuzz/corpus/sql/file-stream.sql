SET spark.sql.streaming.schemaInference = true;
SET spark.sql.shuffle.partitions = 3;
CREATE TEMPORARY VIEW invoices USING json OPTIONS (path '${input}', maxFilesPerTrigger '1');
CREATE TEMPORARY VIEW exploded AS
SELECT a, b, s.c AS c, explode(arr) AS item FROM invoices;
CREATE STREAMING QUERY `Flattened Writer`
USING json OPTIONS (path '${output}')
OUTPUT MODE append
TRIGGER PROCESSING TIME '${interval:-1 minute}'
CHECKPOINT LOCATION '${checkpoint}'
AS SELECT a, b, c, item FROM exploded WHERE a > 0;
