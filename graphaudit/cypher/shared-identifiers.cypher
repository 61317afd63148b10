// name: shared-identifiers
// description: Every identifier of one store, and how many other stores use it, inside and outside its cluster.
// param: store_id store_id (required) example S0000189 -- the store to look at
// returns: one row per identifier of the store: kind, identifier, raw (as this store wrote it), role (ID role or address type), other_stores, in_cluster, outside_cluster, similar_address_stores (stores at a near-duplicate address), store_ids (up to 20 other stores).
// An identifier with stores outside the cluster was not accepted as evidence: an innocent hub
// (3PL warehouse, agency phone or e-mail, virtual office) or a bridge the clustering cut.
MATCH (s:Store {store_id: $store_id})-[r:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]->(n)
WITH s, n, collect(DISTINCT r.raw) AS raw,
     [x IN collect(DISTINCT coalesce(r.role, r.address_type)) WHERE x IS NOT NULL] AS role
WITH s, n, raw, role,
     COLLECT { MATCH (n)<-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(o:Store)
               WHERE o <> s RETURN DISTINCT o ORDER BY o.store_id } AS others,
     COLLECT { MATCH (n:Address)-[:SIMILAR_TO]-(:Address)<-[:LOCATED_AT]-(o:Store)
               WHERE o <> s RETURN DISTINCT o.store_id AS id ORDER BY id } AS similar
RETURN CASE WHEN n:IdDocument THEN 'id_document' WHEN n:PaymentAccount THEN 'payment'
            WHEN n:Phone THEN 'phone' WHEN n:Email THEN 'email' ELSE 'address' END AS kind,
       n.key AS identifier, raw, role,
       size(others) AS other_stores,
       size([o IN others WHERE o.cluster_id = s.cluster_id]) AS in_cluster,
       size([o IN others WHERE o.cluster_id IS NULL OR o.cluster_id <> s.cluster_id])
         AS outside_cluster,
       size(similar) AS similar_address_stores,
       ([o IN others | o.store_id] + similar)[..20] AS store_ids
ORDER BY other_stores DESC, kind, identifier
