// name: riskiest-clusters
// description: The clusters with the highest risk score, with what they hold.
// param: limit int[1..100000] = 20 example 10 -- how many clusters
// param: min_size int[1..1000000] = 2 example 3 -- only clusters of at least this many stores
// returns: one row per cluster, riskiest first: cluster_id, risk_score, size, suspended, active, linked_to_suspended, brands (brand keys, the 5 most used), marketplaces, first_opened, last_opened.
// The risk score (0-100) is computed by `graphaudit cluster`; `graphaudit analyze --help` lists
// its factors.
MATCH (c:Cluster)
WHERE c.size >= $min_size
WITH c ORDER BY c.risk_score DESC, c.size DESC, c.cluster_id LIMIT $limit
MATCH (c)<-[:MEMBER_OF]-(s:Store)
WITH c, collect(s) AS members
RETURN c.cluster_id AS cluster_id, c.risk_score AS risk_score, c.size AS size,
       size([s IN members WHERE s.status = 'suspended']) AS suspended,
       size([s IN members WHERE s.status = 'active']) AS active,
       c.linked_to_suspended AS linked_to_suspended,
       COLLECT { UNWIND members AS s WITH s.brand_key AS brand, count(*) AS n
                 WHERE brand IS NOT NULL AND brand <> ''
                 ORDER BY n DESC, brand LIMIT 5 RETURN brand } AS brands,
       COLLECT { UNWIND members AS s WITH DISTINCT s.marketplace AS m WHERE m IS NOT NULL
                 RETURN m ORDER BY m } AS marketplaces,
       reduce(first = null, s IN members |
              CASE WHEN first IS NULL OR s.opened_on < first THEN s.opened_on ELSE first END)
         AS first_opened,
       reduce(last = null, s IN members |
              CASE WHEN last IS NULL OR s.opened_on > last THEN s.opened_on ELSE last END)
         AS last_opened
ORDER BY risk_score DESC, size DESC, cluster_id
