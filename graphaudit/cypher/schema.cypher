// graphaudit schema: uniqueness constraints on every key (docs/design.md §3).
// `graphaudit load` runs these before writing; each statement is idempotent.
CREATE CONSTRAINT store_id IF NOT EXISTS FOR (s:Store) REQUIRE s.store_id IS UNIQUE;
CREATE CONSTRAINT id_document_key IF NOT EXISTS FOR (n:IdDocument) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT phone_key IF NOT EXISTS FOR (n:Phone) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT email_key IF NOT EXISTS FOR (n:Email) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT payment_account_key IF NOT EXISTS FOR (n:PaymentAccount) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT address_key IF NOT EXISTS FOR (n:Address) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT cluster_id IF NOT EXISTS FOR (c:Cluster) REQUIRE c.cluster_id IS UNIQUE;
CREATE INDEX store_cluster_id IF NOT EXISTS FOR (s:Store) ON (s.cluster_id);
CREATE INDEX store_brand_key IF NOT EXISTS FOR (s:Store) ON (s.brand_key);
CREATE CONSTRAINT data_set_source IF NOT EXISTS FOR (d:DataSet) REQUIRE d.source IS UNIQUE;
