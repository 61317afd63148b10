// Store ids that are $id in another case (ids are case-sensitive).
MATCH (s:Store) WHERE toLower(s.store_id) = toLower($id)
RETURN s.store_id AS id ORDER BY id LIMIT 3
