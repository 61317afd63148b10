// name: linked-to-suspended
// description: Stores that are not suspended themselves but whose cluster holds a suspended store.
// param: limit int[1..1000000] = 50 example 100 -- how many stores
// returns: one row per store, riskiest cluster first: store_id, name, brand, status, opened_on, cluster_id, risk_score, suspended_in_cluster, first_suspension, opened_after_ban (the store opened after the cluster's first suspension).
// These are the stores docs/design.md §5 calls linked_to_suspended: the ones to review first.
MATCH (c:Cluster)<-[:MEMBER_OF]-(x:Store {status: 'suspended'})
WITH c, count(x) AS suspended_in_cluster,
     min(coalesce(x.suspended_on, x.opened_on)) AS first_suspension
MATCH (c)<-[:MEMBER_OF]-(s:Store)
WHERE s.status <> 'suspended'
RETURN s.store_id AS store_id, s.name AS name, s.brand AS brand, s.status AS status,
       s.opened_on AS opened_on, c.cluster_id AS cluster_id, c.risk_score AS risk_score,
       suspended_in_cluster, first_suspension,
       coalesce(s.opened_on > first_suspension, false) AS opened_after_ban
ORDER BY risk_score DESC, cluster_id, opened_on, store_id
LIMIT $limit
