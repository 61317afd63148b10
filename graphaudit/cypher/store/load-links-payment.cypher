// The PAID_TO links of one batch from stores to PaymentAccount nodes (both written before).
UNWIND range(0, size($key) - 1) AS i
MATCH (s:Store {store_id: $store_id[i]})
MATCH (n:PaymentAccount {key: $key[i]})
MERGE (s)-[r:PAID_TO]->(n)
SET r.raw = $raw[i], r.holder_name = $holder_name[i]
