MATCH (c:Cluster {cluster_id: $id}) RETURN count(c) > 0 AS found
