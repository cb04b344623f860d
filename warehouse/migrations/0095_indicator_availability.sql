-- Indicators a scorecard version could not compute, and why (transforms/evaluation/availability.py): the period's
-- events lack an input the indicator reads (e.g. an imported legacy month without 反馈 records), or no entity had a
-- sample. Such an indicator has neither value nor score in marts.indicator_value (its weight goes to the available
-- indicators, like a missing sample); this table is what the office reads instead of a silent 0. Only unavailable
-- indicators have a row: a version whose every indicator was computed has none.
CREATE TABLE marts.indicator_availability (
    period     VARCHAR NOT NULL,
    version    INTEGER NOT NULL,
    object     VARCHAR NOT NULL,
    level      VARCHAR NOT NULL,
    indicator  VARCHAR NOT NULL,     -- the catalogue key (indicators.py)
    label      VARCHAR NOT NULL,     -- its Chinese name
    input      VARCHAR NOT NULL,     -- the absent input: cohort, dispatch, feedback, judged, check, post:<object>, sample
    reason     VARCHAR NOT NULL      -- why, in Chinese, as shown to the office
);
