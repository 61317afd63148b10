// name: suspended-brand-reuse
// description: Stores opened under a suspended brand or a variant of it within a year after a suspension of that brand, in order of opening, linked or not.
// param: limit int[1..1000000] = 100 example 50 -- how many stores
// returns: one row per store: store_id, brand, brand_key, status, opened_on, relation (same, prefix added, suffix added, one edit), suspended_brand, first_suspended_on, days_after_ban (from the last suspension of that brand before the store opened: the ban whose window holds it), suspended_stores (up to 5), same_cluster (a suspended store of that brand is in the store's cluster).
// The verdict is the risk score's, computed once in graphaudit/scoring.py and written to the
// stores by `graphaudit cluster` (brand_reuse_of, brand_reuse): the rows whose relation is not
// "same" are exactly the stores of the "brand variant" factor. Run `graphaudit cluster` after
// every load. Brand reuse that no shared identifier explains (same_cluster false) is a lead:
// the operator may have come back with entirely new people, accounts and addresses.
MATCH (s:Store)
WHERE s.brand_reuse_of IS NOT NULL
MATCH (x:Store {brand_key: s.brand_reuse_of, status: 'suspended'})
WITH s, min(x.suspended_on) AS first_ban,
     max(CASE WHEN x.suspended_on < s.opened_on THEN x.suspended_on END) AS last_ban,
     collect(x) AS banned
RETURN s.store_id AS store_id, s.brand AS brand, s.brand_key AS brand_key, s.status AS status,
       s.opened_on AS opened_on, s.brand_reuse AS relation, s.brand_reuse_of AS suspended_brand,
       first_ban AS first_suspended_on,
       duration.inDays(last_ban, s.opened_on).days AS days_after_ban,
       COLLECT { UNWIND banned AS x RETURN x.store_id AS id ORDER BY id LIMIT 5 }
         AS suspended_stores,
       any(x IN banned WHERE x.cluster_id = s.cluster_id) AS same_cluster
ORDER BY opened_on, store_id
LIMIT $limit
