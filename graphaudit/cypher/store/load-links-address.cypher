// The LOCATED_AT links of one batch from stores to Address nodes (both written before).
UNWIND range(0, size($key) - 1) AS i
MATCH (s:Store {store_id: $store_id[i]})
MATCH (n:Address {key: $key[i]})
MERGE (s)-[r:LOCATED_AT {address_type: $address_type[i]}]->(n)
SET r.raw = $raw[i], r.address_type = $address_type[i]
