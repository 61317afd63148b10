// Nodes per label and relationships per type, each from the count store (no scan); the
// labels and types are those of graphaudit.identifiers and the cluster write-back.
CALL () { MATCH (n:Store) RETURN count(n) AS Store }
CALL () { MATCH (n:IdDocument) RETURN count(n) AS IdDocument }
CALL () { MATCH (n:PaymentAccount) RETURN count(n) AS PaymentAccount }
CALL () { MATCH (n:Phone) RETURN count(n) AS Phone }
CALL () { MATCH (n:Email) RETURN count(n) AS Email }
CALL () { MATCH (n:Address) RETURN count(n) AS Address }
CALL () { MATCH (n:Cluster) RETURN count(n) AS Cluster }
CALL () { MATCH (n:DataSet) RETURN count(n) AS DataSet }
CALL () { MATCH ()-[r:OPENED_WITH]->() RETURN count(r) AS OPENED_WITH }
CALL () { MATCH ()-[r:PAID_TO]->() RETURN count(r) AS PAID_TO }
CALL () { MATCH ()-[r:HAS_PHONE]->() RETURN count(r) AS HAS_PHONE }
CALL () { MATCH ()-[r:HAS_EMAIL]->() RETURN count(r) AS HAS_EMAIL }
CALL () { MATCH ()-[r:LOCATED_AT]->() RETURN count(r) AS LOCATED_AT }
CALL () { MATCH ()-[r:SIMILAR_TO]->() RETURN count(r) AS SIMILAR_TO }
CALL () { MATCH ()-[r:MEMBER_OF]->() RETURN count(r) AS MEMBER_OF }
RETURN *
