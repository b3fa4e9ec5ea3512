CREATE TEMPORARY VIEW lines USING socket OPTIONS (host 'localhost', port '${port}');
CREATE STREAMING QUERY wc USING console OUTPUT MODE complete
AS SELECT word, count(*) AS count
   FROM (SELECT explode(split(value, ' ')) AS word FROM lines)
   GROUP BY word ORDER BY count DESC;
