// Possible links of an earlier run that this run did not find again.
MATCH (:Cluster)-[r:POSSIBLE_LINK]->(:Cluster)
WHERE r.computed_at <> datetime($computed_at)
DELETE r
