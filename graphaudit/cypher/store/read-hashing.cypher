// The key id the graph's identifiers were hashed under (no row: they are in the clear).
MATCH (m:GraphauditPrivacy) RETURN m.key_id AS key_id LIMIT 1
