// Clusters written before the latest load describe an older graph. A cluster's computed_at
// has whole seconds and a load's loaded_at milliseconds: the load's second is compared, so a
// cluster computed in the same second as a load it followed is not taken for a stale one.
MATCH (d:DataSet) WITH datetime.truncate('second', max(d.loaded_at)) AS last
MATCH (c:Cluster) WHERE c.computed_at < last
RETURN count(c) AS stale
