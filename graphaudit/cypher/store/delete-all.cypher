// Delete every node and relationship in transactions of $size nodes, so a graph of millions of
// nodes never needs one huge transaction; a hub's relationships go with it in its batch.
MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF $size ROWS
RETURN count(*) AS deleted
