// The IdDocument nodes of one batch (a list per column: $key[i], ...): each key once,
// written before any link (a link's MATCH skips a node that does not exist yet).
UNWIND range(0, size($key) - 1) AS i
MERGE (n:IdDocument {key: $key[i]})
SET n.id_type = $id_type[i], n.valid = $valid[i]
