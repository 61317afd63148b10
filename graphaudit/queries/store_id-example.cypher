// A store id, to show what ids look like.
MATCH (s:Store) RETURN s.store_id AS id LIMIT 1
