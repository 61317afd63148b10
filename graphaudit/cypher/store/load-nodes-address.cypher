// The Address nodes of one batch (a list per column: $key[i], ...): each key once,
// written before any link (a link's MATCH skips a node that does not exist yet).
UNWIND range(0, size($key) - 1) AS i
MERGE (n:Address {key: $key[i]})
SET n.text = $text[i], n.city = $city[i], n.postcode = $postcode[i], n.country = $country[i]
