// The HAS_PHONE links of one batch from stores to Phone nodes (both written before).
UNWIND range(0, size($key) - 1) AS i
MATCH (s:Store {store_id: $store_id[i]})
MATCH (n:Phone {key: $key[i]})
MERGE (s)-[r:HAS_PHONE]->(n)
SET r.raw = $raw[i]
