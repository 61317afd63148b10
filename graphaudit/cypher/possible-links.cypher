// name: possible-links
// description: The clusters that may be the same operator as one cluster: they share evidence, too weak to merge them.
// param: cluster_id cluster_id (required) example C02b2d2832d76 -- the cluster, as clusters.csv or riskiest-clusters shows it
// returns: one row per possible link, strongest first: other_cluster, other_size, other_risk_score, score (the evidence's weight in bits, against the threshold that would merge them), threshold, chance (that they are one operator), store (of this cluster), other_store, evidence (the shared identifiers with their weights, masked as in possible_links.csv).
// The middle match level of the linkage (docs/linkage.md): not merged, not dismissed as a hub.
// `graphaudit cluster` writes them as POSSIBLE_LINK relationships between :Cluster nodes, the
// rows of possible_links.csv; a lead to read with cluster-evidence and path-between
// (include_hubs=true), not proof.
MATCH (c:Cluster {cluster_id: $cluster_id})-[r:POSSIBLE_LINK]-(o:Cluster)
WITH c, r, o, startNode(r) = c AS outgoing
RETURN o.cluster_id AS other_cluster, o.size AS other_size, o.risk_score AS other_risk_score,
       r.score AS score, r.threshold AS threshold, r.chance AS chance,
       CASE WHEN outgoing THEN r.store_a ELSE r.store_b END AS store,
       CASE WHEN outgoing THEN r.store_b ELSE r.store_a END AS other_store,
       r.evidence AS evidence
ORDER BY score DESC, other_cluster
