// Record a load as the :DataSet node of its source at its end, marked complete (begin-data-set
// recorded it, incomplete, before the load wrote a store); loading the source again updates it.
// The node keeps its data_set_id for as long as it lives (a rerun is the same data set), and
// its mode unless this load gave one (--append, --replace); a new node's mode is "new".
// $changed false (a rerun of the last load that created nothing) keeps loaded_at: the clusters
// computed since still describe the graph.
MERGE (d:DataSet {source: $props.source})
ON CREATE SET d.data_set_id = $data_set_id, d.first_loaded_at = datetime()
SET d += $props, d.mode = coalesce($mode, d.mode, 'new'), d.complete = true,
    d.loaded_at = CASE WHEN $changed OR d.loaded_at IS NULL THEN datetime() ELSE d.loaded_at END,
    d.loads = coalesce(d.loads, 0) + 1
RETURN d.data_set_id AS data_set_id, d.source AS source, toString(d.loaded_at) AS loaded_at,
       d.mode AS mode, d.stores AS stores, coalesce(d.not_assessed, []) AS not_assessed,
       d.complete AS complete
