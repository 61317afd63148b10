// name: cluster-members
// description: The stores of one cluster, in the order they opened.
// param: cluster_id cluster_id (required) example Cb9dab3858c57 -- the cluster, as clusters.csv or riskiest-clusters shows it
// returns: one row per store: store_id, name, brand, marketplace, status, opened_on, suspended_on, status_reason, identifiers (how many identifiers the store uses).
MATCH (:Cluster {cluster_id: $cluster_id})<-[:MEMBER_OF]-(s:Store)
RETURN s.store_id AS store_id, s.name AS name, s.brand AS brand, s.marketplace AS marketplace,
       s.status AS status, s.opened_on AS opened_on, s.suspended_on AS suspended_on,
       s.status_reason AS status_reason,
       COUNT { (s)-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]->() } AS identifiers
ORDER BY opened_on, store_id
