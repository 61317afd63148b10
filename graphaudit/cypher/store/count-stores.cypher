// How many stores the graph holds (from the count store: no scan).
MATCH (s:Store) RETURN count(s) AS n
