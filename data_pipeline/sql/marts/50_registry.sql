-- Marts, step 3 (end): the metric registry for SQL users and the Data & methods page,
-- with the loaded sources (name and vintage) each metric depends on.

-- `not_available` says why a metric the city's data cannot give is missing ("not
-- available for <city>: <why>" on the pages), never confused with a withheld figure.
CREATE OR REPLACE TABLE metric_registry AS
WITH built AS (
    SELECT r.*,
           (SELECT string_agg(s.name || coalesce(', ' || s.vintage, ''), '; ' ORDER BY s.name)
            FROM sources s
            WHERE list_contains(string_split(r.source_kinds, ', '), s.kind)) AS source_vintages,
           CASE r.mart
               WHEN 'metrics_long' THEN r.metric_id IN (SELECT metric_id FROM metrics_long
                                                        WHERE value IS NOT NULL OR suppressed)
               WHEN 'category_counts' THEN EXISTS (SELECT 1 FROM category_counts)
               ELSE EXISTS (SELECT 1 FROM location_quotients) END AS available
    FROM _registry_rows r),
has AS (
    SELECT EXISTS (SELECT 1 FROM businesses WHERE is_micro) AS micro,
           coalesce((SELECT value FROM build_info WHERE key = 'micro_rules'), '') = 'none'
               AS no_micro_rules,
           EXISTS (SELECT 1 FROM jobs WHERE jobs_private IS NOT NULL) AS private_jobs),
-- The first source a metric needs that the build does not have (by the sources' order),
-- the ones a build cannot do without before the others.
missing AS (
    SELECT b.metric_id,
           arg_min(k.absent, k.position) FILTER (WHERE k.required) AS required_absent,
           arg_min(k.absent, k.position) FILTER (WHERE NOT k.required) AS optional_absent
    FROM built b
    JOIN _source_kinds k
      ON list_contains(string_split(b.source_kinds, ', '), k.kind) AND NOT k.loaded
    GROUP BY b.metric_id)
SELECT b.metric_id, b.label, b.description, b.unit, b.formula, b.tables, b.higher_is_better,
       b.source_kinds, b.metric_group, b.format, b.kind, b.caveat, b.mart, b.low_count_basis,
       b.source_vintages, b.available, b.position,
       CASE WHEN b.available THEN NULL
            WHEN m.required_absent IS NOT NULL THEN m.required_absent
            WHEN b.metric_id LIKE 'micro%' AND NOT h.micro
                THEN 'its registry marks no business as home-based, run by a sole proprietor or on a small-scale licence'
                     || CASE WHEN h.no_micro_rules
                             THEN ' (the city profile has no [micro] rules)' ELSE '' END
            WHEN m.optional_absent IS NOT NULL THEN m.optional_absent
            WHEN list_contains(string_split(b.source_kinds, ', '), 'jobs') AND NOT h.private_jobs
                THEN 'the LODES files loaded have no private-jobs (JT02) figures'
            WHEN b.metric_id LIKE 'survival%'
                THEN 'the registry covers too few years for a cohort to reach this horizon'
            WHEN b.metric_group = 'Capital'
                THEN 'its loans were approved outside the years the registry covers ('
                     || (SELECT first_year FROM _span) || '–' || (SELECT last_year FROM _span) || ')'
            WHEN b.metric_group = 'Resilience'
                 AND (SELECT first_year > 2019 OR last_year < 2021 FROM _span)
                THEN 'the registry does not cover 2019 and the downturn years after it (it covers '
                     || (SELECT first_year FROM _span) || '–' || (SELECT last_year FROM _span) || ')'
            WHEN b.metric_group = 'Red tape'
                THEN CASE WHEN NOT EXISTS (SELECT 1 FROM license_processing)
                          THEN 'the registry has no application and issue dates'
                          WHEN NOT EXISTS (SELECT 1 FROM license_processing WHERE excluded IS NULL)
                          THEN 'none of its licences has an application and an issue date that can be used'
                          ELSE 'its licences were issued outside the years the registry covers ('
                               || (SELECT first_year FROM _span) || '–'
                               || (SELECT last_year FROM _span) || ')' END
            ELSE 'the loaded data do not give it' END AS not_available
FROM built b CROSS JOIN has h LEFT JOIN missing m USING (metric_id)
ORDER BY b.position;

CREATE OR REPLACE TABLE settings AS
SELECT s.suppression_threshold, s.unknown_category, s.low_count_below, sp.first_year,
       sp.last_year
FROM settings s, _span sp;

-- What is published, withheld, flagged and not available, per metric and level: printed
-- by `python -m data_pipeline status` and shown on the Data & methods page.
CREATE OR REPLACE TABLE disclosure AS
WITH figures AS (
    SELECT metric_id, geo_level, suppressed, low_count, unreliable, value IS NOT NULL AS shown
    FROM metrics_long
    UNION ALL
    SELECT 'category_count', geo_level, suppressed, false, false, count IS NOT NULL
    FROM category_counts
    UNION ALL
    SELECT 'location_quotient', geo_level, suppressed, low_count, false, lq IS NOT NULL
    FROM location_quotients)
SELECT r.metric_id, f.geo_level, count(f.metric_id) AS figures,
       count(f.metric_id) FILTER (WHERE f.suppressed) AS withheld,
       count(f.metric_id) FILTER (WHERE f.shown AND NOT f.suppressed AND f.low_count) AS low_count,
       count(f.metric_id) FILTER (WHERE f.shown AND NOT f.suppressed AND f.unreliable) AS unreliable,
       r.not_available
FROM metric_registry r LEFT JOIN figures f USING (metric_id)
GROUP BY r.metric_id, f.geo_level, r.not_available
ORDER BY min(r.position), f.geo_level NULLS FIRST;
