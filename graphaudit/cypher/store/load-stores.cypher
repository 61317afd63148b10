// The Store nodes of one batch. Load statements take one list per column ($store_id[i],
// $name[i]...), not one map per row: parallel lists cost the client and the server far fewer
// objects than a map per row.
UNWIND range(0, size($store_id) - 1) AS i
MERGE (s:Store {store_id: $store_id[i]})
SET s.name = $name[i], s.brand = $brand[i], s.brand_key = $brand_key[i],
    s.marketplace = $marketplace[i], s.opened_on = date($opened_on[i]), s.status = $status[i],
    s.suspended_on = date($suspended_on[i]), s.status_reason = $status_reason[i]
