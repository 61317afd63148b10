MATCH (s:Store {store_id: $id}) RETURN count(s) > 0 AS found
