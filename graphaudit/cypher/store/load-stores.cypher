// The Store nodes of one batch. Load statements take one list per column ($store_id[i],
// $name[i]...), not one map per row: parallel lists cost the client and the server far fewer
// objects than a map per row.
// $kept names the store columns the file does not have (REPORT9 item 2): of a store already in
// the graph they keep the value an earlier load wrote (coalesce: the graph's first), where the
// file's default (status active, no date) would otherwise lift a ban; a new store gets the
// default. A status that changes keeps the one before it, its date and reason as previous_*
// (REPORT9 item 4), with the data set that changed it.
UNWIND range(0, size($store_id) - 1) AS i
MERGE (s:Store {store_id: $store_id[i]})
WITH s, i, s.status AS was, s.suspended_on AS was_on, s.status_reason AS was_reason
SET s.name = CASE WHEN 'name' IN $kept THEN coalesce(s.name, $name[i]) ELSE $name[i] END,
    s.brand = CASE WHEN 'brand' IN $kept THEN coalesce(s.brand, $brand[i]) ELSE $brand[i] END,
    s.brand_key = CASE WHEN 'brand' IN $kept THEN coalesce(s.brand_key, $brand_key[i])
                  ELSE $brand_key[i] END,
    s.marketplace = CASE WHEN 'marketplace' IN $kept THEN coalesce(s.marketplace,
                    $marketplace[i]) ELSE $marketplace[i] END,
    s.opened_on = CASE WHEN 'opened_on' IN $kept THEN coalesce(s.opened_on,
                  date($opened_on[i])) ELSE date($opened_on[i]) END,
    s.status = CASE WHEN 'status' IN $kept THEN coalesce(s.status, $status[i])
               ELSE $status[i] END,
    s.suspended_on = CASE WHEN 'suspended_on' IN $kept THEN coalesce(s.suspended_on,
                     date($suspended_on[i])) ELSE date($suspended_on[i]) END,
    s.status_reason = CASE WHEN 'status_reason' IN $kept THEN coalesce(s.status_reason,
                      $status_reason[i]) ELSE $status_reason[i] END
WITH s, was, was_on, was_reason
WHERE was IS NOT NULL AND was <> s.status
SET s.previous_status = was, s.previous_suspended_on = was_on,
    s.previous_status_reason = was_reason, s.status_changed_by = $data_set_id
