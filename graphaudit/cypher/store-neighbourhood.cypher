// name: store-neighbourhood
// description: The stores within a few steps of shared identifiers of one store, nearest first.
// param: store_id store_id (required) example S0000189 -- the store to start from
// param: hops int[1..4] = 2 example 2 -- at most this many store-to-store steps (a step is one shared identifier, or two near-duplicate addresses)
// param: include_hubs bool = false example true -- also step through identifiers shared across clusters (innocent hubs, cut bridges)
// param: limit int[1..100000] = 1000 example 1000 -- at most this many stores: the search stops at the level where it passes them, and says so
// returns: one row per store reached: store_id, name, brand, status, cluster_id, same_cluster, hops, via (the kinds of identifier it shares with the stores one step closer), from (up to 5 of those stores). When the search passed limit stores, a last row says it was cut: store_id empty, name "cut: ...", hops the level where it stopped.
// Use it to see who sits around a store before reading its cluster: with include_hubs=true it
// also shows the stores that share only a 3PL warehouse, an agency phone or a virtual office.
// It is a breadth-first search, one level per hop, that expands each identifier once per
// level and checks it for a hub once (not once per store that uses it), so a 1,000-store
// cluster whose stores share one address answers in about a second. from lists the first 5
// of those stores by store_id. The limit bounds the server's memory: through hubs, two hops
// reach most of a big graph (the local server's 600 MiB of transaction memory ran out on a
// 20,000-store world); a cut level lists the nearest stores it found, not all of them.
MATCH (s:Store {store_id: $store_id})
// st.levels: per hop, one {store, kind, from} per store reached and kind of identifier it was
// reached by; st.seen: every store reached; st.frontier: the stores of the last level; st.cut:
// the level where more than $limit stores were reached (then nothing more is expanded; a level
// keeps at most 4 x $limit rows). Lists live in the accumulator, not in rows: a row per
// identifier carrying them would cost memory.
WITH s, reduce(st = {levels: [[]], seen: [s], frontier: [s], cut: 0}, hop IN range(1, $hops) |
  [level IN [COLLECT {
    UNWIND CASE WHEN st.cut > 0 THEN [] ELSE st.frontier END AS a
    MATCH (a)-[r:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]->(i)
    WITH DISTINCT i, type(r) AS rel
    WHERE $include_hubs OR NOT EXISTS {
      MATCH (i)<-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(y:Store)
      WHERE coalesce(y.cluster_id, '') <> coalesce(s.cluster_id, '') }
    WITH i, rel,
         COLLECT { MATCH (i)<-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(x:Store) WHERE x IN st.frontier
                   RETURN DISTINCT x.store_id AS f ORDER BY f LIMIT 5 } AS froms
    CALL (i, rel, s) {
      MATCH (i)<-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(b:Store)
      RETURN b, CASE rel WHEN 'OPENED_WITH' THEN 'id_document' WHEN 'PAID_TO' THEN 'payment'
                 WHEN 'HAS_PHONE' THEN 'phone' WHEN 'HAS_EMAIL' THEN 'email' ELSE 'address' END
                 AS kind
      UNION
      MATCH (i:Address)-[:SIMILAR_TO]-(j:Address)<-[:LOCATED_AT]-(b:Store)
      WHERE $include_hubs OR NOT EXISTS {
        MATCH (j)<-[:LOCATED_AT]-(y:Store)
        WHERE coalesce(y.cluster_id, '') <> coalesce(s.cluster_id, '') }
      RETURN b, 'similar address' AS kind
    }
    WITH b, kind, froms
    WHERE NOT b IN st.seen
    RETURN {store: b, kind: kind, from: froms} LIMIT 4 * $limit
  }] | [new IN [COLLECT { UNWIND level AS e RETURN DISTINCT e.store AS b }] |
         {levels: st.levels + [level], seen: st.seen + new, frontier: new,
          cut: CASE WHEN st.cut > 0 THEN st.cut
                    WHEN size(st.seen) + size(new) - 1 > $limit OR size(level) >= 4 * $limit
                      THEN hop ELSE 0 END}][0]][0]) AS st
// The accumulator is left behind before the rows are made: a subquery that imported it ran a
// 1,000,000-store graph out of transaction memory at hops=1.
WITH s, st.levels AS levels, st.cut AS cut
UNWIND range(1, size(levels) - 1) AS hops
UNWIND levels[hops] AS e
WITH s, cut, e.store AS t, hops, collect(e.kind) AS kinds, collect(e.from) AS froms
WITH s, cut, t, hops, kinds, froms, t.cluster_id = s.cluster_id AS same_cluster
ORDER BY hops, same_cluster DESC, t.store_id
LIMIT $limit
WITH cut, collect({store_id: t.store_id, name: t.name, brand: t.brand, status: t.status,
    cluster_id: t.cluster_id, same_cluster: same_cluster, hops: hops,
    via: COLLECT { UNWIND kinds AS k RETURN DISTINCT k ORDER BY k },
    from: COLLECT { UNWIND froms AS l UNWIND l AS f RETURN DISTINCT f ORDER BY f LIMIT 5 }})
  AS rows
UNWIND rows + CASE WHEN cut > 0 THEN [{store_id: null,
    name: 'cut: more than ' + toString($limit) + ' stores within ' + toString(cut)
      + ' hops, only the nearest are listed (give a higher limit, fewer hops, or leave '
      + 'include_hubs off: hubs reach most of the graph)',
    brand: null, status: null, cluster_id: null, same_cluster: null, hops: cut, via: [],
    from: []}] ELSE [] END AS row
RETURN row.store_id AS store_id, row.name AS name, row.brand AS brand, row.status AS status,
       row.cluster_id AS cluster_id, row.same_cluster AS same_cluster, row.hops AS hops,
       row.via AS via, row.from AS from
