// The server answers a query (after the driver connected).
RETURN 1 AS ok
