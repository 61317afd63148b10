// The loads recorded in the graph (:DataSet nodes), oldest first. complete is false for a load
// that stopped before its end; a node without it (recorded before 2026-12-02, when a load
// recorded its data set only at its end) is complete.
MATCH (d:DataSet)
RETURN d.data_set_id AS data_set_id, d.source AS source, toString(d.loaded_at) AS loaded_at,
       d.mode AS mode, d.stores AS stores, coalesce(d.not_assessed, []) AS not_assessed,
       coalesce(d.complete, true) AS complete
ORDER BY d.loaded_at, d.data_set_id
