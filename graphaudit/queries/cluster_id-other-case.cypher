// Cluster ids that are $id in another case (ids are case-sensitive).
MATCH (c:Cluster) WHERE toLower(c.cluster_id) = toLower($id)
RETURN c.cluster_id AS id ORDER BY id LIMIT 3
