// Say that the graph holds keyed hashes of identifiers, under which key.
MERGE (m:GraphauditPrivacy {name: 'privacy'})
SET m.hashed_identifiers = true, m.key_id = $key_id
