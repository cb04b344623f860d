-- Model eval_indicator_scored + eval_score: indicator scores, weighted totals, grades and fair ranks.
-- Inputs: eval_indicator (long: object, level, entity_code, indicator, numerator, denominator, value) and the
-- scheme as tables (eval_scheme_indicator, eval_scheme_band, eval_grade, eval_scheme_sample).
--   score    rate: value×100; inverse_rate: (1−value)×100; bands: the first band whose max ≥ value. NULL when the
--            indicator has no sample (value NULL) — its weight is then shared by the others (rules.no_sample)
--   unavailable  an indicator whose inputs the period's events do not hold (eval_indicator_availability, see
--            availability.py: e.g. no 反馈 recorded) has neither value nor score, never a silent 0 — its weight is
--            shared by the others like a missing sample; numerator and denominator stay, for explain
--   total    Σ score×weight / Σ weight over the scored indicators that have a sample, rounded to 2 decimals
--   ranked   sample size (the scheme's sample indicator) ≥ the level's minimum; unranked entities keep their
--            score and grade but get no rank
--   rank     within (object, level) among ranked entities: total desc, then sample size desc, then entity code
--            asc; tie_break records every tie on the rounded total and how it was broken
CREATE OR REPLACE TEMP TABLE eval_indicator_scored AS
SELECT
    i.object, i.level, i.entity_code, i.indicator, i.label, i.numerator, i.denominator,
    CASE WHEN coalesce(av.available, true) THEN i.value END AS value,
    round(CASE
        WHEN i.value IS NULL OR s.method IS NULL OR NOT coalesce(av.available, true) THEN NULL
        WHEN s.method = 'rate' THEN greatest(0, least(100, i.value * 100))
        WHEN s.method = 'inverse_rate' THEN greatest(0, least(100, (1 - i.value) * 100))
        ELSE b.score
    END, 4) AS score,
    s.weight
FROM eval_indicator i
LEFT JOIN eval_scheme_indicator s ON s.object = i.object AND s.indicator = i.indicator
LEFT JOIN eval_scheme_band b
    ON b.band_table = s.band_table AND i.value > b.lo AND (b.hi IS NULL OR i.value <= b.hi)
LEFT JOIN eval_indicator_availability av ON av.object = i.object AND av.level = i.level AND av.indicator = i.indicator;

CREATE OR REPLACE TEMP TABLE eval_score AS
WITH totals AS (
    SELECT object, level, entity_code,
           round(sum(score * weight) FILTER (WHERE score IS NOT NULL AND weight IS NOT NULL)
                 / nullif(sum(weight) FILTER (WHERE score IS NOT NULL AND weight IS NOT NULL), 0), 2) AS total_score
    FROM eval_indicator_scored
    WHERE object IN (SELECT object FROM eval_scheme_sample)
    GROUP BY ALL
),
samples AS (
    SELECT i.object, i.level, i.entity_code, CAST(i.value AS BIGINT) AS sample_size, m.min_sample
    FROM eval_indicator i
    JOIN eval_scheme_sample m ON m.object = i.object AND m.level = i.level AND m.sample_indicator = i.indicator
),
joined AS (
    SELECT t.*, coalesce(sa.sample_size, 0) AS sample_size,
           t.total_score IS NOT NULL AND coalesce(sa.sample_size, 0) >= coalesce(sa.min_sample, 0) AS ranked
    FROM totals t LEFT JOIN samples sa USING (object, level, entity_code)
),
graded AS (
    SELECT j.*, g.grade, g.colour
    FROM joined j ASOF LEFT JOIN eval_grade g ON j.total_score >= g.lo
)
SELECT
    object, level, entity_code, sample_size, ranked, total_score, grade, colour,
    CASE WHEN ranked THEN CAST(row_number() OVER (
        PARTITION BY object, level, ranked ORDER BY total_score DESC, sample_size DESC, entity_code
    ) AS INTEGER) END AS rank,
    CASE WHEN ranked AND count(*) OVER (PARTITION BY object, level, ranked, total_score) > 1 THEN
        printf('与另外 %d 个对象同分 %.2f：按样本量降序（本对象 %d）、再按编码升序排定',
               CAST(count(*) OVER (PARTITION BY object, level, ranked, total_score) - 1 AS INTEGER),
               total_score, sample_size)
    END AS tie_break
FROM graded;
