// Whether an identifier node of kind $kind has the key $key (one index lookup per label).
CALL () {
  MATCH (n:IdDocument {key: $key}) WHERE $kind = 'id_document' RETURN n
  UNION
  MATCH (n:PaymentAccount {key: $key}) WHERE $kind = 'payment' RETURN n
  UNION
  MATCH (n:Phone {key: $key}) WHERE $kind = 'phone' RETURN n
  UNION
  MATCH (n:Email {key: $key}) WHERE $kind = 'email' RETURN n
  UNION
  MATCH (n:Address {key: $key}) WHERE $kind = 'address' RETURN n
}
RETURN count(n) > 0 AS found
