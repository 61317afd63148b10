// The fingerprints of the files a source was last loaded from: their names, sizes and times, and
// their contents (no row: never loaded; null: loaded before fingerprints, or contents, were
// recorded).
MATCH (d:DataSet {source: $source})
RETURN d.fingerprint AS fingerprint, d.content AS content, toString(d.loaded_at) AS loaded_at,
       coalesce(d.complete, true) AS complete
