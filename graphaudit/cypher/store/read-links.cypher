// The identifier links of the stores of one page (after $after, up to $last), as one record
// of column lists; the relationship types are those of graphaudit.identifiers.RELATIONSHIPS.
// In no order: graphaudit.store.sorted_links puts them in the fixed order (kind, store_id,
// key, spelling...) on the client, where a sort of column arrays costs less than the server's
// ORDER BY of every page's rows.
MATCH (s:Store) WHERE s.store_id > $after AND s.store_id <= $last
MATCH (s)-[r:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]->(n)
RETURN collect(type(r)) AS type, collect(s.store_id) AS store_id, collect(n.key) AS key,
       collect(coalesce(r.raw, '')) AS raw, collect(coalesce(r.holder_name, '')) AS holder_name,
       collect(coalesce(r.role, '')) AS role, collect(coalesce(r.address_type, '')) AS address_type
