SELECT period, coalesce(max(version) FILTER (WHERE status = 'published'), 0) AS version
FROM marts.scorecard
WHERE regexp_full_match(period, '[0-9]{4}-[0-9]{2}')
GROUP BY period
