// name: reopened-after-ban
// description: Active stores opened within some days after a store of their cluster was suspended: ban evasion.
// param: days int[1..36500] = 365 example 180 -- how soon after the suspension the store opened
// returns: one row per active store: store_id, name, brand, opened_on, cluster_id, banned_store (the suspension just before the opening), banned_brand, suspended_on, days_after, suspended_in_cluster, shared_with_banned (the kinds of identifier the store shares directly with suspended stores of its cluster).
// A suspended store without a suspension date counts as banned from its opening. Evaders often
// come back under a variant of the banned brand (compare brand and banned_brand) and share
// only one identifier with their old stores.
MATCH (s:Store {status: 'active'})
WHERE s.cluster_id IS NOT NULL AND s.opened_on IS NOT NULL
MATCH (x:Store {cluster_id: s.cluster_id, status: 'suspended'})
WITH s, x, coalesce(x.suspended_on, x.opened_on) AS banned_on
WHERE banned_on < s.opened_on AND s.opened_on <= banned_on + duration({days: $days})
WITH s, x, banned_on ORDER BY banned_on DESC, x.store_id
WITH s, collect(x) AS banned, collect(banned_on) AS dates
WITH s, banned[0] AS ban, dates[0] AS banned_on,
     COUNT { MATCH (y:Store {cluster_id: s.cluster_id, status: 'suspended'}) } AS suspended_in_cluster
RETURN s.store_id AS store_id, s.name AS name, s.brand AS brand, s.opened_on AS opened_on,
       s.cluster_id AS cluster_id, ban.store_id AS banned_store, ban.brand AS banned_brand,
       banned_on AS suspended_on, duration.inDays(banned_on, s.opened_on).days AS days_after,
       suspended_in_cluster,
       COLLECT {
         MATCH (s)-[r:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]->(n)
               <-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-
               (:Store {cluster_id: s.cluster_id, status: 'suspended'})
         WITH DISTINCT CASE type(r) WHEN 'OPENED_WITH' THEN 'id_document'
                WHEN 'PAID_TO' THEN 'payment' WHEN 'HAS_PHONE' THEN 'phone'
                WHEN 'HAS_EMAIL' THEN 'email' ELSE 'address' END AS kind
         RETURN kind ORDER BY kind
         UNION
         MATCH (s)-[:LOCATED_AT]->(:Address)-[:SIMILAR_TO]-(:Address)<-[:LOCATED_AT]-
               (:Store {cluster_id: s.cluster_id, status: 'suspended'})
         RETURN 'similar address' AS kind
       } AS shared_with_banned
ORDER BY cluster_id, opened_on, store_id
