// The loads recorded in the graph (:DataSet nodes), oldest first.
MATCH (d:DataSet)
RETURN d.data_set_id AS data_set_id, d.source AS source, toString(d.loaded_at) AS loaded_at,
       d.mode AS mode, d.stores AS stores, coalesce(d.not_assessed, []) AS not_assessed
ORDER BY d.loaded_at, d.data_set_id
