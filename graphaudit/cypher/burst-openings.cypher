// name: burst-openings
// description: Clusters that opened many stores within a few days: the busiest window of each.
// param: days int[0..3650] = 7 example 7 -- the length of the window, in days
// param: min_stores int[2..100000] = 3 example 3 -- at least this many openings in the window
// param: limit int[1..1000000] = 50 example 20 -- how many clusters
// returns: one row per cluster, most openings first: cluster_id, openings (in its busiest window), first_opened, last_opened, store_ids, brands (brand keys), suspended_in_cluster, risk_score.
// Evaders reopen in bursts after a ban, and a burst is one of the risk score's factors.
// Every member's opening starts a window; the busiest window of each cluster is shown.
MATCH (c:Cluster)<-[:MEMBER_OF]-(s:Store)
WHERE c.size >= $min_stores AND s.opened_on IS NOT NULL
WITH c, s ORDER BY s.opened_on, s.store_id
WITH c, collect(s) AS members
UNWIND range(0, size(members) - 1) AS i
WITH c, members, members[i] AS start,
     [x IN members[i..] WHERE x.opened_on <= members[i].opened_on + duration({days: $days})]
       AS window
WHERE size(window) >= $min_stores
WITH c, members, window ORDER BY size(window) DESC, start.opened_on
WITH c, members, collect(window)[0] AS window
RETURN c.cluster_id AS cluster_id, size(window) AS openings,
       window[0].opened_on AS first_opened, window[-1].opened_on AS last_opened,
       [x IN window | x.store_id] AS store_ids,
       COLLECT { UNWIND window AS x WITH DISTINCT x.brand_key AS b WHERE b IS NOT NULL
                 RETURN b ORDER BY b } AS brands,
       size([x IN members WHERE x.status = 'suspended']) AS suspended_in_cluster,
       c.risk_score AS risk_score
ORDER BY openings DESC, risk_score DESC, cluster_id
LIMIT $limit
