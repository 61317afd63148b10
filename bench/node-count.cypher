// The number of nodes in the graph (bench/scale.py: is the database empty?).
MATCH (n) RETURN count(n) AS nodes
