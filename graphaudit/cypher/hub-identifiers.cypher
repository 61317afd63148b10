// name: hub-identifiers
// description: Identifiers used by many stores, and whether those stores fall in one cluster (an operator's own) or several (an innocent hub).
// param: min_stores int[2..1000000] = 10 example 20 -- only identifiers of at least this many stores
// param: limit int[1..1000000] = 100 example 50 -- how many identifiers
// returns: one row per identifier, most used first: kind, identifier, address (an address's text), stores, clusters (how many clusters its stores fall in), suspended (how many of its stores are suspended), verdict.
// A 3PL warehouse, a store-opening agency's phone or e-mail, or a virtual office serves many
// unrelated operators: its stores fall in many clusters and it links nobody. A big operator's
// own office or bank account is shared by hundreds of its stores, all in one cluster.
MATCH (n:IdDocument|PaymentAccount|Phone|Email|Address)
WITH n, COUNT { (n)<-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(:Store) } AS links
WHERE links >= $min_stores
MATCH (n)<-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(s:Store)
WITH n, count(DISTINCT s) AS stores, count(DISTINCT s.cluster_id) AS clusters,
     count(DISTINCT CASE WHEN s.status = 'suspended' THEN s END) AS suspended
WHERE stores >= $min_stores
RETURN CASE WHEN n:IdDocument THEN 'id_document' WHEN n:PaymentAccount THEN 'payment'
            WHEN n:Phone THEN 'phone' WHEN n:Email THEN 'email' ELSE 'address' END AS kind,
       n.key AS identifier, n.text AS address, stores, clusters, suspended,
       CASE WHEN clusters = 0 THEN 'not clustered yet (run graphaudit cluster)'
            WHEN clusters = 1 THEN "one cluster: the operator's own"
            ELSE 'spans ' + toString(clusters) + ' clusters: a hub, not evidence' END AS verdict
ORDER BY stores DESC, kind, identifier
LIMIT $limit
