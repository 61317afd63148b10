// The MEMBER_OF of one batch of stores. A store's MEMBER_OF to another cluster (an earlier
// run's) is replaced; the MEMBER_OF is MERGEd, so a store written twice (a retried batch) keeps
// one. The old cluster is matched without its label: with the label, a planner whose statistics
// still said "no MEMBER_OF yet" scanned every :Cluster for every store (24 million rows for
// 5,000 stores: 80 s a batch).
UNWIND range(0, size($store_id) - 1) AS i
MATCH (s:Store {store_id: $store_id[i]})
SET s.cluster_id = $cluster_id[i], s.brand_reuse_of = $brand_reuse_of[i],
    s.brand_reuse = $brand_reuse[i]
WITH s, $cluster_id[i] AS cluster_id
CALL (s, cluster_id) {
  MATCH (s)-[old:MEMBER_OF]->(other) WHERE other.cluster_id <> cluster_id
  DELETE old
}
MATCH (c:Cluster {cluster_id: cluster_id})
MERGE (s)-[:MEMBER_OF]->(c)
