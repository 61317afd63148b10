// name: store-neighbourhood
// description: The stores within a few steps of shared identifiers of one store, nearest first.
// param: store_id store_id (required) example S0000189 -- the store to start from
// param: hops int[1..4] = 2 example 2 -- at most this many store-to-store steps (a step is one shared identifier, or two near-duplicate addresses)
// param: include_hubs bool = false example true -- also step through identifiers shared across clusters (innocent hubs, cut bridges)
// param: limit int[1..100000] = 1000 example 1000 -- at most this many stores: the search stops at the level where it passes them, or where the identifiers to follow add up to more than 4 x limit stores (then it follows the narrowest ones), and says so
// returns: one row per store reached: store_id, name, brand, status, cluster_id, same_cluster, hops, via (the kinds of identifier it shares with the stores one step closer), from (up to 5 of those stores). When the search was cut (it passed limit stores, or left identifiers too widely shared to follow), a last row says so and why: store_id empty, name "cut: ...", hops the level where it stopped.
// Use it to see who sits around a store before reading its cluster: with include_hubs=true it
// also shows the stores that share only a 3PL warehouse, an agency phone or a virtual office.
// It is a breadth-first search, one level per hop, that expands each identifier once per
// level and checks it for a hub once (not once per store that uses it), so a 1,000-store
// cluster whose stores share one address answers in about a second. from lists the first 5
// of those stores by store_id. The limit bounds the server's memory: through hubs, two hops
// reach most of a big graph (the local server's 600 MiB of transaction memory ran out on a
// 20,000-store world), and the level's expansion too: a level follows its identifiers
// narrowest first while their stores add up to at most 4 x limit (a 3PL warehouse of 50,000
// stores is skipped, not expanded; on a graph that was never clustered every identifier is
// walkable). A cut level lists the nearest stores it found, not all of them.
MATCH (s:Store {store_id: $store_id})
// st.levels: per hop, one {store, kind, from} per store reached and kind of identifier it was
// reached by; st.seen: every store reached; st.frontier: the stores of the last level;
// st.last: the identifiers the last level followed (their stores are all seen: the next level
// skips them); st.cut: the level where the search stopped (then nothing more is expanded), and
// why: more than $limit stores reached, or st.skipped identifiers shared by more than st.top
// stores not followed (the widest by st.widest). A level follows the identifiers of its
// frontier while the stores they reach (their degree, read without expanding them) add up to
// at most 4 x $limit, else only those under the highest power of two that keeps it so: no
// level expands more than that, whatever the hubs it meets.
// Memory: a subquery (COLLECT {...}) with DISTINCT, ORDER BY, UNION or an aggregation inside
// it is charged the lists it can see once per row it holds (600 MiB ran out for DISTINCT over
// 2,500 identifiers with the accumulator in view). So nothing here holds rows: identifiers and
// stores are made distinct by a unique-index seek on a list of keys (a node is found once
// however often its key is listed), and only ORDER BY ... LIMIT 10 (ten rows) is used.
WITH s, reduce(st = {levels: [[]], seen: [s], frontier: [s], last: [], cut: 0, skipped: 0,
                     top: -1, widest: 0}, hop IN range(1, $hops) |
  [pairs IN [COLLECT {
    UNWIND CASE WHEN st.cut > 0 THEN [] ELSE st.frontier END AS a
    MATCH (a)-[r:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]->(i)
    WHERE NOT i IN st.last
    RETURN {t: type(r), key: i.key} }] |
  [ids IN [[i IN COLLECT { MATCH (i:IdDocument) WHERE i.key IN [c IN pairs WHERE c.t = 'OPENED_WITH' | c.key] RETURN i }
           + COLLECT { MATCH (i:PaymentAccount) WHERE i.key IN [c IN pairs WHERE c.t = 'PAID_TO' | c.key] RETURN i }
           + COLLECT { MATCH (i:Phone) WHERE i.key IN [c IN pairs WHERE c.t = 'HAS_PHONE' | c.key] RETURN i }
           + COLLECT { MATCH (i:Email) WHERE i.key IN [c IN pairs WHERE c.t = 'HAS_EMAIL' | c.key] RETURN i }
           + COLLECT { MATCH (i:Address) WHERE i.key IN [c IN pairs WHERE c.t = 'LOCATED_AT' | c.key] RETURN i }
    WHERE $include_hubs OR NOT EXISTS {
      MATCH (i)<-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(y:Store)
      WHERE coalesce(y.cluster_id, '') <> coalesce(s.cluster_id, '') } |
    {node: i, reach: COUNT { (i)<-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-() }
                     + COUNT { (i:Address)-[:SIMILAR_TO]-(:Address)<-[:LOCATED_AT]-() }}]] |
  [top IN [CASE WHEN reduce(n = 0, x IN ids | n + x.reach) <= 4 * $limit THEN -1
                ELSE coalesce([t IN [k IN range(0, 30) | toInteger(2 ^ k)]
                  WHERE reduce(n = 0, x IN ids | n + CASE WHEN x.reach <= t THEN x.reach
                                                          ELSE 0 END) <= 4 * $limit][-1], 0)
                END] |
  [kept IN [[i IN [x IN ids WHERE top < 0 OR x.reach <= top | x.node] |
             {node: i, from: reduce(f = [], z IN COLLECT {
                MATCH (i)<-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(z:Store) WHERE z IN st.frontier
                RETURN z.store_id AS z ORDER BY z LIMIT 10 } |
                CASE WHEN z IN f OR size(f) >= 5 THEN f ELSE f + z END)}]] |
  [level IN [COLLECT {
      UNWIND kept AS x
      WITH x.node AS i, x.from AS froms
      MATCH (i)<-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(b:Store)
      WHERE NOT b IN st.seen
      RETURN {store: b, from: froms,
              kind: CASE WHEN i:IdDocument THEN 'id_document' WHEN i:PaymentAccount THEN 'payment'
                         WHEN i:Phone THEN 'phone' WHEN i:Email THEN 'email' ELSE 'address' END}
    } + COLLECT {
      UNWIND kept AS x
      WITH x.node AS i, x.from AS froms
      MATCH (i:Address)-[:SIMILAR_TO]-(j:Address)<-[:LOCATED_AT]-(b:Store)
      WHERE NOT b IN st.seen AND ($include_hubs OR NOT EXISTS {
        MATCH (j)<-[:LOCATED_AT]-(y:Store)
        WHERE coalesce(y.cluster_id, '') <> coalesce(s.cluster_id, '') })
      RETURN {store: b, kind: 'similar address', from: froms}
    }] |
  [new IN [COLLECT { MATCH (b:Store) WHERE b.store_id IN [e IN level | e.store.store_id]
                     RETURN b }] |
         {levels: st.levels + [level], seen: st.seen + new, frontier: new,
          last: [x IN kept | x.node],
          cut: CASE WHEN st.cut > 0 THEN st.cut
                    WHEN top >= 0 OR size(st.seen) + size(new) - 1 > $limit THEN hop
                    ELSE 0 END,
          skipped: CASE WHEN st.cut > 0 THEN st.skipped ELSE size(ids) - size(kept) END,
          top: CASE WHEN st.cut > 0 THEN st.top ELSE top END,
          widest: CASE WHEN st.cut > 0 THEN st.widest
                       ELSE reduce(m = 0, x IN ids | CASE WHEN x.reach > m THEN x.reach
                                                          ELSE m END) END}
  ][0]][0]][0]][0]][0]][0]) AS st
// The accumulator is left behind before the rows are made: a subquery that imported it ran a
// 1,000,000-store graph out of transaction memory at hops=1.
WITH s, st.levels AS levels, st.cut AS cut, st.skipped AS skipped, st.top AS top,
     st.widest AS widest
UNWIND range(1, size(levels) - 1) AS hops
UNWIND levels[hops] AS e
WITH s, cut, skipped, top, widest, e.store AS t, hops, collect(e.kind) AS kinds,
     collect(e.from) AS froms
WITH s, cut, skipped, top, widest, t, hops, kinds, froms, t.cluster_id = s.cluster_id AS same_cluster
ORDER BY hops, same_cluster DESC, t.store_id
LIMIT $limit
WITH cut, skipped, top, widest, collect({store_id: t.store_id, name: t.name, brand: t.brand, status: t.status,
    cluster_id: t.cluster_id, same_cluster: same_cluster, hops: hops,
    via: COLLECT { UNWIND kinds AS k RETURN DISTINCT k ORDER BY k },
    from: COLLECT { UNWIND froms AS l UNWIND l AS f RETURN DISTINCT f ORDER BY f LIMIT 5 }})
  AS rows
UNWIND rows + CASE WHEN cut > 0 THEN [{store_id: null,
    name: 'cut: ' + CASE WHEN skipped > 0
        THEN 'at ' + toString(cut) + ' hops, ' + toString(skipped) + ' identifiers shared by '
          + 'more than ' + toString(top) + ' stores (the widest by ' + toString(widest)
          + ') were not followed: with them the level would pass 4 x limit = '
          + toString(4 * $limit) + ' store links; only the stores found up to there are listed'
        ELSE 'more than ' + toString($limit) + ' stores within ' + toString(cut)
          + ' hops, only the nearest are listed' END
      + ' (give a higher limit, fewer hops, or leave include_hubs off: hubs reach most of '
      + 'the graph)',
    brand: null, status: null, cluster_id: null, same_cluster: null, hops: cut, via: [],
    from: []}] ELSE [] END AS row
RETURN row.store_id AS store_id, row.name AS name, row.brand AS brand, row.status AS status,
       row.cluster_id AS cluster_id, row.same_cluster AS same_cluster, row.hops AS hops,
       row.via AS via, row.from AS from
