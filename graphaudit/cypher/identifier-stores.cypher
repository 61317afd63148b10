// name: identifier-stores
// description: The stores that use one identifier, pasted as seen (it is normalized like the data).
// param: kind kind (required) example phone -- id_document, payment, phone, email or address
// param: value identifier(kind) (required) example "138 0013 8000" -- the ID number, account, phone, e-mail or address, in any spelling
// returns: one row per store and link: kind, identifier, match (exact, or similar for a near-duplicate address), score, raw (how the store wrote it), holder_name, role (ID role or address type), store_id, name, brand, status, cluster_id.
// The value is normalized with the rules of loading (an ID number's spaces and case, a phone
// in any format, an address's abbreviations), so "(+86) 138-0013-8000" and "13800138000" find
// the same stores. For an address, stores at a near-duplicate address are listed too.
CALL () {
  MATCH (n:IdDocument {key: $value}) WHERE $kind = 'id_document' RETURN n
  UNION
  MATCH (n:PaymentAccount {key: $value}) WHERE $kind = 'payment' RETURN n
  UNION
  MATCH (n:Phone {key: $value}) WHERE $kind = 'phone' RETURN n
  UNION
  MATCH (n:Email {key: $value}) WHERE $kind = 'email' RETURN n
  UNION
  MATCH (n:Address {key: $value}) WHERE $kind = 'address' RETURN n
}
CALL (n) {
  MATCH (n)<-[r:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(s:Store)
  RETURN s, r, 'exact' AS match, null AS score
  UNION
  MATCH (n:Address)-[m:SIMILAR_TO]-(:Address)<-[r:LOCATED_AT]-(s:Store)
  RETURN s, r, 'similar' AS match, m.score AS score
}
RETURN $kind AS kind, n.key AS identifier, match, score, r.raw AS raw,
       r.holder_name AS holder_name, coalesce(r.role, r.address_type) AS role,
       s.store_id AS store_id, s.name AS name, s.brand AS brand, s.status AS status,
       s.cluster_id AS cluster_id
ORDER BY match, store_id, role
