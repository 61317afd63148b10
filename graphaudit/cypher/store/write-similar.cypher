// The SIMILAR_TO links between near-duplicate addresses of one batch.
UNWIND range(0, size($a) - 1) AS i
MATCH (a:Address {key: $a[i]}), (b:Address {key: $b[i]})
MERGE (a)-[r:SIMILAR_TO]->(b)
SET r.score = $score[i]
