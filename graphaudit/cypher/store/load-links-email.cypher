// The HAS_EMAIL links of one batch from stores to Email nodes (both written before).
UNWIND range(0, size($key) - 1) AS i
MATCH (s:Store {store_id: $store_id[i]})
MATCH (n:Email {key: $key[i]})
MERGE (s)-[r:HAS_EMAIL]->(n)
SET r.raw = $raw[i]
