// name: brand-variants
// description: Stores whose brand is a brand or a variant of it: a short prefix or suffix added or dropped, or one edit.
// param: brand brand (required) example Mpow -- the brand, as written anywhere (it is normalized to a brand key: case, width and punctuation do not matter)
// returns: one row per store: store_id, name, brand, brand_key, relation (same, prefix added, suffix added, one edit, prefix dropped, suffix dropped), status, opened_on, suspended_on, cluster_id, marketplace.
// The rule is the risk score's "brand variant" rule (graphaudit/scoring.py, brand_relation),
// whose values graphaudit passes as the parameters $brand_min_affix_base, $brand_max_affix and
// $brand_min_edit: an affix of up to 8 characters to a brand of 3 or more, or one edit (a
// letter changed, added or dropped) to a brand of 5 or more. Added affixes are tried first,
// then one edit, then dropped affixes. Give a suspended store's brand to find where it came
// back; suspended-brand-reuse lists what the scoring counted.
MATCH (s:Store)
WHERE s.brand_key IS NOT NULL AND s.brand_key <> ''
  AND (s.brand_key CONTAINS $brand OR $brand CONTAINS s.brand_key
       OR abs(size(s.brand_key) - size($brand)) <= 1)
WITH s, s.brand_key AS k, $brand AS b
WITH s, k, b,
     size(b) >= $brand_min_affix_base AND size(k) > size(b)
       AND size(k) - size(b) <= $brand_max_affix AS added_ok,
     size(k) >= $brand_min_affix_base AND size(b) > size(k)
       AND size(b) - size(k) <= $brand_max_affix AS dropped_ok,
     size(b) >= $brand_min_edit AS edit_ok
WITH s, CASE
  WHEN k = b THEN 'same'
  WHEN added_ok AND k ENDS WITH b THEN 'prefix added'
  WHEN added_ok AND k STARTS WITH b THEN 'suffix added'
  WHEN edit_ok AND size(k) = size(b)
       AND size([i IN range(0, size(k) - 1)
                 WHERE substring(k, i, 1) <> substring(b, i, 1)]) = 1 THEN 'one edit'
  WHEN edit_ok AND size(k) = size(b) + 1
       AND any(i IN range(0, size(k) - 1)
               WHERE substring(k, 0, i) + substring(k, i + 1) = b) THEN 'one edit'
  WHEN edit_ok AND size(k) = size(b) - 1
       AND any(i IN range(0, size(b) - 1)
               WHERE substring(b, 0, i) + substring(b, i + 1) = k) THEN 'one edit'
  WHEN dropped_ok AND b ENDS WITH k THEN 'prefix dropped'
  WHEN dropped_ok AND b STARTS WITH k THEN 'suffix dropped'
END AS relation
WHERE relation IS NOT NULL
RETURN s.store_id AS store_id, s.name AS name, s.brand AS brand, s.brand_key AS brand_key,
       relation, s.status AS status, s.opened_on AS opened_on, s.suspended_on AS suspended_on,
       s.cluster_id AS cluster_id, s.marketplace AS marketplace
ORDER BY CASE relation WHEN 'same' THEN 0 ELSE 1 END, brand_key, opened_on, store_id
