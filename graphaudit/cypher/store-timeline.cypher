// name: store-timeline
// description: The openings and suspensions of a store's cluster in date order: the story of a ban and a comeback.
// param: store_id store_id (required) example S0000189 -- any store of the cluster
// returns: one row per event: date, event (opened or suspended), store_id, brand, status, reason (a suspension's reason), this_store (the store asked about).
// A store that was not clustered yet shows its own events only.
MATCH (s:Store {store_id: $store_id})
MATCH (m:Store)
WHERE m = s OR (s.cluster_id IS NOT NULL AND m.cluster_id = s.cluster_id)
UNWIND [{date: m.opened_on, event: 'opened', reason: null},
        {date: m.suspended_on, event: 'suspended', reason: m.status_reason}] AS e
WITH s, m, e
WHERE e.date IS NOT NULL
RETURN e.date AS date, e.event AS event, m.store_id AS store_id, m.brand AS brand,
       m.status AS status, e.reason AS reason, m = s AS this_store
ORDER BY date, CASE event WHEN 'suspended' THEN 0 ELSE 1 END, store_id
