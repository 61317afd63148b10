// name: cluster-evidence
// description: Why a cluster holds together: the identifiers its stores share, and the near-duplicate addresses that tie them.
// param: cluster_id cluster_id (required) example Cb9dab3858c57 -- the cluster
// returns: one row per shared identifier (or pair of similar addresses): kind, identifier, status (evidence, or not evidence when the identifier also serves stores outside the cluster), stores (of the cluster), outside (stores outside it), spellings (distinct raw forms), score (similar addresses), store_ids (up to 50).
// An identifier that also serves stores of other clusters is an innocent hub or a bridge the
// clustering cut: it is listed, but it is not what holds the cluster together. Links by fuzzy
// ID matches (an ID number with one typo) are not in the graph: `graphaudit explain` shows them.
CALL () {
  MATCH (c:Cluster {cluster_id: $cluster_id})<-[:MEMBER_OF]-(s:Store)
        -[r:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]->(n)
  WITH c, n, collect(DISTINCT s.store_id) AS ids, count(DISTINCT r.raw) AS spellings
  WHERE size(ids) >= 2
  WITH c, n, ids, spellings,
       COUNT { (n)<-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(o:Store)
               WHERE o.cluster_id IS NULL OR o.cluster_id <> c.cluster_id } AS outside
  RETURN CASE WHEN n:IdDocument THEN 'id_document' WHEN n:PaymentAccount THEN 'payment'
              WHEN n:Phone THEN 'phone' WHEN n:Email THEN 'email' ELSE 'address' END AS kind,
         n.key AS identifier,
         CASE WHEN outside = 0 THEN 'evidence' ELSE 'not evidence (serves other clusters)' END
           AS status,
         size(ids) AS stores, outside, spellings, null AS score,
         COLLECT { UNWIND ids AS id RETURN id ORDER BY id LIMIT 50 } AS store_ids
  UNION ALL
  MATCH (c:Cluster {cluster_id: $cluster_id})<-[:MEMBER_OF]-(s1:Store)-[:LOCATED_AT]->(a1:Address)
        -[m:SIMILAR_TO]->(a2:Address)<-[:LOCATED_AT]-(s2:Store)-[:MEMBER_OF]->(c)
  WITH a1, a2, m, collect(DISTINCT s1.store_id) + collect(DISTINCT s2.store_id) AS ids
  RETURN 'address' AS kind, a1.key + ' ~ ' + a2.key AS identifier, 'evidence (similar addresses)'
           AS status, size(ids) AS stores, 0 AS outside, 2 AS spellings, m.score AS score,
         COLLECT { UNWIND ids AS id WITH DISTINCT id RETURN id ORDER BY id LIMIT 50 } AS store_ids
}
RETURN kind, identifier, status, stores, outside, spellings, score, store_ids
ORDER BY CASE WHEN status STARTS WITH 'evidence' THEN 0 ELSE 1 END, stores DESC, kind, identifier
