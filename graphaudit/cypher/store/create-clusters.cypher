// The :Cluster nodes of one batch on a graph without any (a list per column, as the load
// statements take): CREATE, where write-clusters.cypher MERGEs, as nothing can match yet; the
// uniqueness constraint on cluster_id still refuses a duplicate.
WITH datetime($computed_at) AS computed_at
UNWIND range(0, size($cluster_id) - 1) AS i
CREATE (:Cluster {cluster_id: $cluster_id[i], size: $size[i], risk_score: $risk_score[i],
                  linked_to_suspended: $linked_to_suspended[i], computed_at: computed_at})
