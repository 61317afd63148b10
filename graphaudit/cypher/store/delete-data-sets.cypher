// The first step of deleting the graph: the :DataSet records, so that a reset (or --replace)
// stopped while deleting leaves stores of no data set, refused as such, never a remnant that
// reads as a complete load.
MATCH (d:DataSet) DETACH DELETE d
RETURN count(*) AS deleted
