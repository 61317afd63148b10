// name: path-between
// description: The shortest chain of shared identifiers between two stores, one row per node.
// param: a store_id (required) example S0000041 -- the first store
// param: b store_id (required) example S0000189 -- the second store
// param: max_hops int[1..10] = 6 example 4 -- at most this many store-to-store steps
// param: include_hubs bool = false example false -- also walk through identifiers shared across clusters (innocent hubs, cut bridges)
// returns: one row per node of the path, from a to b: step, kind (store, or the identifier's kind), identifier (a store id, or the identifier's key), detail (a store's name, brand and status; an address's text), link (how the node is reached from the previous one) and raw (how the two neighbouring stores wrote an identifier). No rows: no such path.
// By default the path only uses evidence the clustering accepted, so "no rows" means the two
// stores are not tied by accepted evidence within max_hops; with include_hubs=true the path
// may run through a hub, which is a lead to check, not proof. It is a breadth-first search
// over stores from a, one level per hop, that stops when it reaches b.
MATCH (a:Store {store_id: $a}), (b:Store {store_id: $b})
WHERE a <> b
WITH a, b, reduce(levels = [[{store: a, trail: [a]}]], hop IN range(1, $max_hops) |
  levels + [COLLECT {
    WITH levels, reduce(seen = [], level IN levels | seen + [e IN level | e.store]) AS seen
    UNWIND CASE WHEN b IN seen THEN [] ELSE levels[-1] END AS e
    WITH seen, e.store AS x
    CALL (x, a) {
      MATCH (x)-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]->(i)
            <-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(y:Store)
      WHERE $include_hubs OR NOT EXISTS {
        MATCH (i)<-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(z:Store)
        WHERE coalesce(z.cluster_id, '') <> coalesce(a.cluster_id, '') }
      RETURN y
      UNION
      MATCH (x)-[:LOCATED_AT]->(i:Address)-[:SIMILAR_TO]-(j:Address)<-[:LOCATED_AT]-(y:Store)
      WHERE $include_hubs OR NOT EXISTS {
        MATCH (z:Store)-[:LOCATED_AT]->(n:Address) WHERE n IN [i, j]
          AND coalesce(z.cluster_id, '') <> coalesce(a.cluster_id, '') }
      RETURN y
    }
    WITH DISTINCT levels, seen, y
    WHERE NOT y IN seen
    // one way in for each new store: through the first store of the previous level that has one
    RETURN {store: y, trail: COLLECT {
      UNWIND levels[-1] AS e
      WITH e, e.store AS x
      CALL (x, y, a) {
        MATCH (x)-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]->(i)
              <-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(y)
        WHERE $include_hubs OR NOT EXISTS {
          MATCH (i)<-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(z:Store)
          WHERE coalesce(z.cluster_id, '') <> coalesce(a.cluster_id, '') }
        RETURN [i, y] AS step
        UNION
        MATCH (x)-[:LOCATED_AT]->(i:Address)-[:SIMILAR_TO]-(j:Address)<-[:LOCATED_AT]-(y)
        WHERE $include_hubs OR NOT EXISTS {
          MATCH (z:Store)-[:LOCATED_AT]->(n:Address) WHERE n IN [i, j]
            AND coalesce(z.cluster_id, '') <> coalesce(a.cluster_id, '') }
        RETURN [i, j, y] AS step
      }
      RETURN e.trail + step AS trail LIMIT 1 }[0]}
  }]) AS levels
WITH [e IN reduce(all = [], level IN levels | all + level) WHERE e.store = b][0] AS hit
WHERE hit IS NOT NULL
WITH hit.trail AS trail
UNWIND range(0, size(trail) - 1) AS step
WITH step, trail[step] AS n, CASE WHEN step > 0 THEN trail[step - 1] END AS before,
     CASE WHEN step < size(trail) - 1 THEN trail[step + 1] END AS after
RETURN step,
       CASE WHEN n:Store THEN 'store' WHEN n:IdDocument THEN 'id_document'
            WHEN n:PaymentAccount THEN 'payment' WHEN n:Phone THEN 'phone'
            WHEN n:Email THEN 'email' ELSE 'address' END AS kind,
       coalesce(n.store_id, n.key) AS identifier,
       CASE WHEN n:Store THEN n.name + ' | ' + coalesce(n.brand, '') + ' | ' + n.status
            WHEN n:Address THEN n.text END AS detail,
       CASE WHEN before IS NULL THEN null
            WHEN before:Address AND n:Address
              THEN 'SIMILAR_TO ' + toString(round(
                     [(before)-[m:SIMILAR_TO]-(n) | m.score][0], 1))
            ELSE [(before)-[r]-(n) WHERE type(r) <> 'SIMILAR_TO' | type(r)][0] END AS link,
       CASE WHEN n:Store THEN null
            ELSE [r IN [(x:Store)-[r]->(n) WHERE x IN [before, after] | r] | r.raw] END AS raw
ORDER BY step
