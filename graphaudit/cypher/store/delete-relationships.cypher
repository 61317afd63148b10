// The first half of deleting the graph: every relationship, in transactions of $size of them.
// Relationships go first so that no transaction's size depends on a node's degree: deleting a
// hub (a 3PL warehouse of 50,000 stores, a cluster of 20,000) with its relationships in one
// batch of nodes made a transaction of every relationship of the hubs in it.
MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF $size ROWS
RETURN count(*) AS deleted
