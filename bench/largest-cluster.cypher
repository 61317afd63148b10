// bench/scale.py: the largest cluster `cluster` wrote, for timing queries on its stores.
MATCH (c:Cluster)
RETURN c.cluster_id AS cluster_id, c.size AS size
ORDER BY c.size DESC, c.cluster_id
LIMIT 1
