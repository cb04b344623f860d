-- Cases per month with the words a person reads: the cockpit's source, class and district charts.
SELECT
    strftime(s.period_start, '%Y-%m')                              AS period_month,
    s.period_start,
    datediff('month', s.period_start, (SELECT max(period_start) FROM marts.summary_case_month)) AS months_ago,
    s.district_code,
    coalesce(d.name, s.district_code, '未落区')                     AS district_name,
    coalesce(src.label, s.source)                                  AS source_name,
    coalesce(k.label, '未分类')                                      AS kind_name,
    s.major_name,
    s.reported,
    s.registered,
    s.closed
FROM marts.summary_case_month s
LEFT JOIN marts.dash_area d ON d.code = s.district_code
LEFT JOIN marts.dash_label src ON src.domain = 'source' AND src.code = s.source
LEFT JOIN marts.dash_label k ON k.domain = 'kind' AND k.code = s.kind
