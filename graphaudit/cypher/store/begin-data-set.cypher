// Record a load's data set before it writes a store, marked incomplete (complete false): a load
// stopped before its end (killed, the server lost) leaves its graph recorded as an incomplete
// load of its source and files, which a plain rerun of the same files recognises and completes
// (REPORT7 item 8); write-data-set marks it complete at the end. A new node gets its id and
// times; $changed false (a rerun of the last load) keeps loaded_at, which write-data-set
// decides at the end.
MERGE (d:DataSet {source: $props.source})
ON CREATE SET d.data_set_id = $data_set_id, d.first_loaded_at = datetime(), d.loads = 0
SET d += $props, d.mode = coalesce($mode, d.mode, 'new'), d.complete = false,
    d.loaded_at = CASE WHEN $changed OR d.loaded_at IS NULL THEN datetime() ELSE d.loaded_at END
RETURN d.data_set_id AS data_set_id
