// The PaymentAccount nodes of one batch (a list per column: $key[i], ...): each key once,
// written before any link (a link's MATCH skips a node that does not exist yet).
UNWIND range(0, size($key) - 1) AS i
MERGE (n:PaymentAccount {key: $key[i]})
SET n.account_type = $account_type[i], n.institution = $institution[i], n.valid = $valid[i]
