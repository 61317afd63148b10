// A page of stores after $after, in store_id order (the unique index gives the order, so a
// page is an index range, not a sort), as one record of column lists: the driver's cost is per
// record, and a record per row made reading 20,000 stores' graph back take 18 s of a 30 s
// `cluster`. collect() drops nulls, so every value is coalesced.
MATCH (s:Store) WHERE s.store_id > $after
WITH s ORDER BY s.store_id LIMIT $page
RETURN collect(s.store_id) AS store_id, collect(coalesce(s.name, '')) AS name,
       collect(coalesce(s.brand, '')) AS brand, collect(coalesce(s.brand_key, '')) AS brand_key,
       collect(coalesce(s.marketplace, '')) AS marketplace,
       collect(coalesce(toString(s.opened_on), '')) AS opened_on,
       collect(coalesce(s.status, 'active')) AS status,
       collect(coalesce(toString(s.suspended_on), '')) AS suspended_on,
       collect(coalesce(s.status_reason, '')) AS status_reason,
       collect(coalesce(COLLECT { MATCH (s)-[:MEMBER_OF]->(c:Cluster)
                                  RETURN c.cluster_id AS c LIMIT 1 }[0], '')) AS cluster_id
