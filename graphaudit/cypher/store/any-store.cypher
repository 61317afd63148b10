// A store, if the graph holds any.
MATCH (s:Store) RETURN s.store_id AS s LIMIT 1
