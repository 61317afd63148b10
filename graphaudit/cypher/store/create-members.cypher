// The MEMBER_OF of one batch of stores on a graph that had no :Cluster before this run
// (create-clusters.cypher): no store has a MEMBER_OF to replace or to keep, so the membership
// is CREATEd without looking for one (write-members.cypher is the statement for a graph with
// clusters). A batch is one transaction: a retried batch was rolled back first.
UNWIND range(0, size($store_id) - 1) AS i
MATCH (s:Store {store_id: $store_id[i]}), (c:Cluster {cluster_id: $cluster_id[i]})
SET s.cluster_id = $cluster_id[i], s.brand_reuse_of = $brand_reuse_of[i],
    s.brand_reuse = $brand_reuse[i]
CREATE (s)-[:MEMBER_OF]->(c)
