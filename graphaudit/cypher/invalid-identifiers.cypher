// name: invalid-identifiers
// description: ID documents and payment accounts that fail their checks, and the stores that use them.
// param: min_stores int[1..1000000] = 1 example 2 -- only identifiers of at least this many stores
// param: limit int[1..1000000] = 100 example 50 -- how many identifiers
// returns: one row per identifier: kind, identifier, type (ID type or account type), stores, store_ids (up to 20), clusters.
// A CN resident ID with a wrong check character, or a card number that fails the Luhn check,
// is a typo or a made-up number. A typo of a real ID is often a near twin of a valid one used
// by the same operator (see cluster-evidence and `graphaudit explain`).
MATCH (n:IdDocument|PaymentAccount)
WHERE n.valid = false
MATCH (n)<-[:OPENED_WITH|PAID_TO]-(s:Store)
WITH n, collect(DISTINCT s) AS stores
WHERE size(stores) >= $min_stores
RETURN CASE WHEN n:IdDocument THEN 'id_document' ELSE 'payment' END AS kind,
       n.key AS identifier, coalesce(n.id_type, n.account_type) AS type,
       size(stores) AS stores,
       COLLECT { UNWIND stores AS s RETURN s.store_id AS id ORDER BY id LIMIT 20 } AS store_ids,
       size(COLLECT { UNWIND stores AS s WITH DISTINCT s.cluster_id AS c WHERE c IS NOT NULL
                      RETURN c }) AS clusters
ORDER BY stores DESC, kind, identifier
LIMIT $limit
