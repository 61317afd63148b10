// Clusters written before the latest load describe an older graph. A cluster's computed_at
// has whole seconds and a load's loaded_at milliseconds: the load's second is compared, so a
// cluster computed in the same second as a load it followed is not taken for a stale one.
MATCH (d:DataSet) WITH max(d.loaded_at) AS loaded
// (truncate() fails on null: a graph loaded before data sets were recorded has none)
WITH CASE WHEN loaded IS NULL THEN NULL ELSE datetime.truncate('second', loaded) END AS last
MATCH (c:Cluster) WHERE c.computed_at < last
RETURN count(c) AS stale
