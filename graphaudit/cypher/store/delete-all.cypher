// The second half of deleting the graph (after delete-relationships): every node, in
// transactions of $size nodes; DETACH also takes a relationship written in between.
MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF $size ROWS
RETURN count(*) AS deleted
