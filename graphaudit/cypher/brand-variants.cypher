// name: brand-variants
// description: Stores whose brand is a brand or a variant of it: a short prefix or suffix added or dropped, or one edit.
// param: brand brand (required) example Mpow -- the brand, as written anywhere (it is normalized to a brand key: case, width and punctuation do not matter)
// returns: one row per store: store_id, name, brand, brand_key, relation (same, prefix added, suffix added, prefix dropped, suffix dropped, one edit), status, opened_on, suspended_on, cluster_id, marketplace.
// The rules are those of the risk score's "brand variant" factor: an affix of up to 8
// characters to a brand of 3 or more, or one edit (a letter changed, added or dropped) to a
// brand of 4 or more. Give a suspended store's brand to find where it came back.
MATCH (s:Store)
WHERE s.brand_key IS NOT NULL AND s.brand_key <> ''
  AND (s.brand_key CONTAINS $brand OR $brand CONTAINS s.brand_key
       OR abs(size(s.brand_key) - size($brand)) <= 1)
WITH s, s.brand_key AS k, $brand AS b
WITH s, k, b,
     CASE WHEN size(k) >= size(b) THEN k ELSE b END AS long,
     CASE WHEN size(k) >= size(b) THEN b ELSE k END AS short
WITH s, k, b, long, short,
     size(long) > size(short) AND size(long) - size(short) <= 8 AND size(short) >= 3
       AS affix_ok
WITH s, CASE
  WHEN k = b THEN 'same'
  WHEN affix_ok AND k = long AND k ENDS WITH b THEN 'prefix added'
  WHEN affix_ok AND k = long AND k STARTS WITH b THEN 'suffix added'
  WHEN affix_ok AND k = short AND b ENDS WITH k THEN 'prefix dropped'
  WHEN affix_ok AND k = short AND b STARTS WITH k THEN 'suffix dropped'
  WHEN size(short) >= 4 AND size(long) = size(short)
       AND size([i IN range(0, size(long) - 1)
                 WHERE substring(long, i, 1) <> substring(short, i, 1)]) = 1 THEN 'one edit'
  WHEN size(short) >= 4 AND size(long) = size(short) + 1
       AND any(i IN range(0, size(long) - 1)
               WHERE substring(long, 0, i) + substring(long, i + 1) = short) THEN 'one edit'
END AS relation
WHERE relation IS NOT NULL
RETURN s.store_id AS store_id, s.name AS name, s.brand AS brand, s.brand_key AS brand_key,
       relation, s.status AS status, s.opened_on AS opened_on, s.suspended_on AS suspended_on,
       s.cluster_id AS cluster_id, s.marketplace AS marketplace
ORDER BY CASE relation WHEN 'same' THEN 0 ELSE 1 END, brand_key, opened_on, store_id
