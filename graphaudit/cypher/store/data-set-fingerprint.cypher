// The fingerprint of the files a source was last loaded from (no row: never loaded; null: loaded
// before fingerprints were recorded).
MATCH (d:DataSet {source: $source})
RETURN d.fingerprint AS fingerprint, toString(d.loaded_at) AS loaded_at
