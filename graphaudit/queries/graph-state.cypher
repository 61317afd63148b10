// Stores and clusters in the graph, whether the clusters predate the last load, and the
// sources of the loads that stopped before their end (complete false; REPORT7 item 8).
CALL () { MATCH (s:Store) RETURN count(s) AS stores }
CALL () { MATCH (c:Cluster) RETURN count(c) AS clusters }
CALL () { MATCH (d:DataSet) RETURN max(d.loaded_at) AS loaded }
CALL () { MATCH (c:Cluster) RETURN min(c.computed_at) AS computed }
CALL () { MATCH (d:DataSet) WHERE d.complete = false RETURN collect(d.source) AS incomplete }
RETURN stores, clusters, incomplete, loaded IS NOT NULL AND computed IS NOT NULL AND computed < loaded
       AS stale
