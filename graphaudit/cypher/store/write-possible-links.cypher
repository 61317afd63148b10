// The possible links of one batch: two clusters that share evidence too weak to merge them
// (issue 11's middle match level; possible_links.csv), from the cluster of store_a to that of
// store_b, with the score in bits, the chance and the evidence as possible_links.csv says it.
WITH datetime($computed_at) AS computed_at
UNWIND range(0, size($cluster_a) - 1) AS i
MATCH (a:Cluster {cluster_id: $cluster_a[i]}), (b:Cluster {cluster_id: $cluster_b[i]})
MERGE (a)-[r:POSSIBLE_LINK]->(b)
SET r.score = $score[i], r.chance = $chance[i], r.threshold = $threshold[i],
    r.store_a = $store_a[i], r.store_b = $store_b[i], r.evidence = $evidence[i],
    r.computed_at = computed_at
