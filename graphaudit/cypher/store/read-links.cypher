// The identifier links of the stores of one page (after $after, up to $last), as one record
// of column lists; the relationship types are those of graphaudit.identifiers.RELATIONSHIPS.
// In a fixed order: store_id, then type, key and spelling (raw). The graph keeps no file order,
// and the order in which a store's relationships come back depends on which load lane wrote
// them first, so without it two loads of the same records could show an address that a store
// wrote two ways with different text ("the first written form", linkage/evidence.py).
MATCH (s:Store) WHERE s.store_id > $after AND s.store_id <= $last
MATCH (s)-[r:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]->(n)
WITH s, r, n
ORDER BY s.store_id, type(r), n.key, coalesce(r.raw, ''), coalesce(r.address_type, ''),
         coalesce(r.role, ''), coalesce(r.holder_name, '')
RETURN collect(type(r)) AS type, collect(s.store_id) AS store_id, collect(n.key) AS key,
       collect(coalesce(r.raw, '')) AS raw, collect(coalesce(r.holder_name, '')) AS holder_name,
       collect(coalesce(r.role, '')) AS role, collect(coalesce(r.address_type, '')) AS address_type
