-- Current name of every admin area (the latest version).
SELECT code, name, level, parent_code
FROM core.admin_area
QUALIFY row_number() OVER (PARTITION BY code ORDER BY valid_from DESC) = 1
