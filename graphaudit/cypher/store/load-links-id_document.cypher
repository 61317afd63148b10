// The OPENED_WITH links of one batch from stores to IdDocument nodes (both written before).
UNWIND range(0, size($key) - 1) AS i
MATCH (s:Store {store_id: $store_id[i]})
MATCH (n:IdDocument {key: $key[i]})
MERGE (s)-[r:OPENED_WITH]->(n)
SET r.raw = $raw[i], r.holder_name = $holder_name[i], r.role = $role[i]
