// A store id, to show what ids look like (the first in order: the same one every time).
MATCH (s:Store) RETURN s.store_id AS id ORDER BY id LIMIT 1
