// Clusters written before the latest load describe an older graph.
MATCH (d:DataSet) WITH max(d.loaded_at) AS last
MATCH (c:Cluster) WHERE c.computed_at < last
RETURN count(c) AS stale
