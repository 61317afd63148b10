// Stores and clusters in the graph, and whether the clusters predate the last load.
CALL () { MATCH (s:Store) RETURN count(s) AS stores }
CALL () { MATCH (c:Cluster) RETURN count(c) AS clusters }
// computed_at has whole seconds, loaded_at milliseconds: compare the load's second
CALL () { MATCH (d:DataSet) WITH max(d.loaded_at) AS last
          RETURN CASE WHEN last IS NULL THEN NULL ELSE datetime.truncate('second', last) END
                 AS loaded }
CALL () { MATCH (c:Cluster) RETURN min(c.computed_at) AS computed }
RETURN stores, clusters, loaded IS NOT NULL AND computed IS NOT NULL AND computed < loaded
       AS stale
