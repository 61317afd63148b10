// name: suspended-brand-reuse
// description: Stores not suspended whose brand is a suspended store's brand or a variant of it, linked or not.
// param: limit int[1..1000000] = 100 example 50 -- how many stores
// returns: one row per store and suspended brand: store_id, brand, brand_key, status, opened_on, relation (same, prefix added, suffix added, one edit), suspended_brand, suspended_stores (up to 5), same_cluster (a suspended store of that brand is in the store's cluster).
// Brand reuse that no shared identifier explains (same_cluster false) is a lead: the operator
// may have come back with entirely new people, accounts and addresses. The variant rules are
// those of brand-variants.
MATCH (x:Store {status: 'suspended'})
WHERE x.brand_key IS NOT NULL AND x.brand_key <> ''
WITH x.brand_key AS b, collect(x) AS banned
MATCH (s:Store)
WHERE s.status <> 'suspended' AND s.brand_key IS NOT NULL AND s.brand_key <> ''
  AND (s.brand_key CONTAINS b OR abs(size(s.brand_key) - size(b)) <= 1)
WITH s, s.brand_key AS k, b, banned
WITH s, k, b, banned, CASE
  WHEN k = b THEN 'same'
  WHEN size(b) >= 3 AND size(k) > size(b) AND size(k) - size(b) <= 8 AND k ENDS WITH b
    THEN 'prefix added'
  WHEN size(b) >= 3 AND size(k) > size(b) AND size(k) - size(b) <= 8 AND k STARTS WITH b
    THEN 'suffix added'
  WHEN size(b) >= 4 AND size(k) = size(b)
       AND size([i IN range(0, size(k) - 1) WHERE substring(k, i, 1) <> substring(b, i, 1)]) = 1
    THEN 'one edit'
  WHEN size(b) >= 4 AND size(k) = size(b) + 1
       AND any(i IN range(0, size(k) - 1) WHERE substring(k, 0, i) + substring(k, i + 1) = b)
    THEN 'one edit'
  WHEN size(b) >= 5 AND size(k) = size(b) - 1
       AND any(i IN range(0, size(b) - 1) WHERE substring(b, 0, i) + substring(b, i + 1) = k)
    THEN 'one edit'
END AS relation
WHERE relation IS NOT NULL
RETURN s.store_id AS store_id, s.brand AS brand, k AS brand_key, s.status AS status,
       s.opened_on AS opened_on, relation, b AS suspended_brand,
       COLLECT { UNWIND banned AS x RETURN x.store_id AS id ORDER BY id LIMIT 5 }
         AS suspended_stores,
       any(x IN banned WHERE x.cluster_id = s.cluster_id) AS same_cluster
ORDER BY same_cluster, CASE relation WHEN 'same' THEN 0 ELSE 1 END, suspended_brand, store_id
LIMIT $limit
