// How many :Cluster nodes the graph holds (from the count store: no scan).
MATCH (c:Cluster) RETURN count(c) AS n
