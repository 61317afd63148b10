// A cluster id (the riskiest), to show what ids look like.
MATCH (c:Cluster) RETURN c.cluster_id AS id ORDER BY c.risk_score DESC, id LIMIT 1
