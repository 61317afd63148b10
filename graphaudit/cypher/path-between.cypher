// name: path-between
// description: The shortest chain of shared identifiers between two stores, one row per node.
// param: a store_id (required) example S0000041 -- the first store
// param: b store_id (required) example S0000189 -- the second store
// param: max_hops int[1..10] = 6 example 4 -- at most this many store-to-store steps
// param: include_hubs bool = false example false -- also walk through identifiers shared across clusters (innocent hubs, cut bridges)
// returns: one row per node of the path, from a to b: step, kind (store, or the identifier's kind), identifier (a store id, or the identifier's key), detail (a store's name, brand and status; an address's text), link (how the node is reached from the previous one) and raw (how the two neighbouring stores wrote an identifier). No rows: no such path.
// By default the path only uses evidence the clustering accepted, so "no rows" means the two
// stores are not tied by accepted evidence within max_hops; with include_hubs=true the path
// may run through a hub, which is a lead to check, not proof. It is Neo4j's shortestPath: a
// breadth-first search from both stores at once that stops where they meet, checking each
// identifier once as it reaches it (an identifier with a store outside a's cluster is a hub).
// Shortest counts links: a step through two near-duplicate addresses is one link longer than
// a step through one shared identifier, and a run of near-duplicate addresses is one step.
MATCH (a:Store {store_id: $a}), (b:Store {store_id: $b})
WHERE a <> b
MATCH p = shortestPath(
  (a)-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT|SIMILAR_TO*..40]-(b))
WHERE all(n IN nodes(p) WHERE n:Store OR $include_hubs OR NOT EXISTS {
        MATCH (n)<-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(z:Store)
        WHERE coalesce(z.cluster_id, '') <> coalesce(a.cluster_id, '') })
WITH nodes(p) AS trail
WHERE size([n IN trail WHERE n:Store]) - 1 <= $max_hops
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
