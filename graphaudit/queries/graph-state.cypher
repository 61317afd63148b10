// Stores and clusters in the graph, and whether the clusters predate the last load.
CALL () { MATCH (s:Store) RETURN count(s) AS stores }
CALL () { MATCH (c:Cluster) RETURN count(c) AS clusters }
CALL () { MATCH (d:DataSet) RETURN max(d.loaded_at) AS loaded }
CALL () { MATCH (c:Cluster) RETURN min(c.computed_at) AS computed }
RETURN stores, clusters, loaded IS NOT NULL AND computed IS NOT NULL AND computed < loaded
       AS stale
