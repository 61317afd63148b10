// Clusters of an earlier run that this run's clustering no longer has.
MATCH (c:Cluster) WHERE NOT c.cluster_id IN $keep
DETACH DELETE c
