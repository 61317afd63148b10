// Which of $candidates ({value, kind, key} maps) are store ids, cluster ids, or keys of
// identifier nodes of a personal kind (by label): each lookup goes through a uniqueness index.
UNWIND $candidates AS c
CALL (c) {
  MATCH (:Store {store_id: c.value}) WHERE c.kind = 'store_id' RETURN true AS found
  UNION
  MATCH (:Cluster {cluster_id: c.value}) WHERE c.kind = 'cluster_id' RETURN true AS found
  UNION
  MATCH (:IdDocument {key: c.key}) WHERE c.kind = 'id_document' RETURN true AS found
  UNION
  MATCH (:PaymentAccount {key: c.key}) WHERE c.kind = 'payment' RETURN true AS found
  UNION
  MATCH (:Phone {key: c.key}) WHERE c.kind = 'phone' RETURN true AS found
  UNION
  MATCH (:Email {key: c.key}) WHERE c.kind = 'email' RETURN true AS found
}
RETURN c.value AS value, c.kind AS kind, c.key AS key
