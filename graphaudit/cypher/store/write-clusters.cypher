// The :Cluster nodes of one batch (a list per column, as the load statements take).
WITH datetime($computed_at) AS computed_at
UNWIND range(0, size($cluster_id) - 1) AS i
MERGE (c:Cluster {cluster_id: $cluster_id[i]})
SET c.size = $size[i], c.risk_score = $risk_score[i],
    c.linked_to_suspended = $linked_to_suspended[i], c.computed_at = computed_at
