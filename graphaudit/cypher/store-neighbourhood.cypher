// name: store-neighbourhood
// description: The stores within a few steps of shared identifiers of one store, nearest first.
// param: store_id store_id (required) example S0000189 -- the store to start from
// param: hops int[1..4] = 2 example 2 -- at most this many store-to-store steps (a step is one shared identifier, or two near-duplicate addresses)
// param: include_hubs bool = false example true -- also step through identifiers shared across clusters (innocent hubs, cut bridges)
// returns: one row per store reached: store_id, name, brand, status, cluster_id, same_cluster, hops, via (the kinds of identifier it shares with the stores one step closer), from (up to 5 of those stores).
// Use it to see who sits around a store before reading its cluster: with include_hubs=true it
// also shows the stores that share only a 3PL warehouse, an agency phone or a virtual office.
// It is a breadth-first search over stores, one level per hop, so it stays fast in dense
// clusters.
MATCH (s:Store {store_id: $store_id})
WITH s, reduce(levels = [[s]], hop IN range(1, $hops) | levels + [COLLECT {
    WITH levels, reduce(seen = [], level IN levels | seen + level) AS seen
    UNWIND levels[-1] AS a
    CALL (a, s) {
      MATCH (a)-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]->(i)
            <-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(b:Store)
      WHERE $include_hubs OR NOT EXISTS {
        MATCH (i)<-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(y:Store)
        WHERE coalesce(y.cluster_id, '') <> coalesce(s.cluster_id, '') }
      RETURN b
      UNION
      MATCH (a)-[:LOCATED_AT]->(i:Address)-[:SIMILAR_TO]-(j:Address)<-[:LOCATED_AT]-(b:Store)
      WHERE $include_hubs OR NOT EXISTS {
        MATCH (y:Store)-[:LOCATED_AT]->(x:Address) WHERE x IN [i, j]
          AND coalesce(y.cluster_id, '') <> coalesce(s.cluster_id, '') }
      RETURN b
    }
    WITH DISTINCT seen, b
    WHERE NOT b IN seen
    RETURN b
  }]) AS levels
UNWIND range(1, size(levels) - 1) AS hops
UNWIND levels[hops] AS t
WITH s, t, hops, levels[hops - 1] AS previous
CALL (s, t, previous) {
  UNWIND previous AS a
  CALL (a, t, s) {
    MATCH (a)-[r:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]->(i)
          <-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(t)
    WHERE $include_hubs OR NOT EXISTS {
      MATCH (i)<-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(y:Store)
      WHERE coalesce(y.cluster_id, '') <> coalesce(s.cluster_id, '') }
    RETURN CASE type(r) WHEN 'OPENED_WITH' THEN 'id_document' WHEN 'PAID_TO' THEN 'payment'
             WHEN 'HAS_PHONE' THEN 'phone' WHEN 'HAS_EMAIL' THEN 'email' ELSE 'address' END
             AS kind
    UNION
    MATCH (a)-[:LOCATED_AT]->(i:Address)-[:SIMILAR_TO]-(j:Address)<-[:LOCATED_AT]-(t)
    WHERE $include_hubs OR NOT EXISTS {
      MATCH (y:Store)-[:LOCATED_AT]->(x:Address) WHERE x IN [i, j]
        AND coalesce(y.cluster_id, '') <> coalesce(s.cluster_id, '') }
    RETURN 'similar address' AS kind
  }
  WITH DISTINCT a.store_id AS from, kind
  ORDER BY kind, from
  RETURN collect(DISTINCT kind) AS via, collect(DISTINCT from)[..5] AS from
}
RETURN t.store_id AS store_id, t.name AS name, t.brand AS brand, t.status AS status,
       t.cluster_id AS cluster_id, t.cluster_id = s.cluster_id AS same_cluster, hops, via, from
ORDER BY hops, same_cluster DESC, store_id
