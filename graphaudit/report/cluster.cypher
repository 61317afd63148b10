MATCH (c:Cluster {cluster_id: $cluster_id})<-[:MEMBER_OF]-(s:Store)
OPTIONAL MATCH p = (s)-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]->(i)
      <-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(t:Store)-[:MEMBER_OF]->(c)
WHERE t <> s
WITH c, s, collect(p) AS shared
OPTIONAL MATCH q = (s)-[:LOCATED_AT]->(:Address)-[:SIMILAR_TO]-(:Address)
      <-[:LOCATED_AT]-(:Store)-[:MEMBER_OF]->(c)
RETURN c, s, shared, collect(q) AS similar_addresses;
