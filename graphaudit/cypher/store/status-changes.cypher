// The stores of a load whose status in the graph is not the file's, read before it writes
// (REPORT9 item 4): a suspension that an appended older export would lift is refused unless
// --lift-suspensions, and every change is named.
UNWIND range(0, size($store_id) - 1) AS i
MATCH (s:Store {store_id: $store_id[i]})
WHERE s.status IS NOT NULL AND s.status <> $status[i]
RETURN s.store_id AS store_id, s.status AS was, $status[i] AS now,
       toString(s.suspended_on) AS suspended_on
