// How many nodes of any label the graph holds (from the count store: no scan).
MATCH (n) RETURN count(n) AS n
