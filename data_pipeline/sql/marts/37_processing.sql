-- Marts, step 3: red tape — calendar days from a licence application to its issue, by
-- neighborhood, the city and year of issue (ids: core/metrics.py, group "Red tape"), and
-- by category (processing_by_category). One application is one registry row with both
-- dates (license_processing); rows whose interval is excluded (issued before applied, more
-- than five years, a date that cannot be read) count in no figure. Years: the data span.
--
-- Percentiles are nearest-rank: of n applications sorted by days, the median is the
-- ⌈n/2⌉-th and the 90th percentile the ⌈9n/10⌉-th (integer arithmetic, no interpolation),
-- so "90% of the applications were issued within the 90th percentile", exactly.
-- With a suppression threshold, a figure over fewer applications than it is withheld.

CREATE OR REPLACE TEMP TABLE _processing_rows AS
SELECT p.neighborhood_id, p.category, year(p.issued)::INTEGER AS year, p.days
FROM license_processing p
WHERE p.excluded IS NULL
  AND year(p.issued) BETWEEN (SELECT first_year FROM _span) AND (SELECT last_year FROM _span);

CREATE OR REPLACE TEMP TABLE _processing_places AS
SELECT 'neighborhood' AS geo_level, neighborhood_id AS geo_id, category, year, days
FROM _processing_rows
UNION ALL
SELECT 'city', 'city', category, year, days FROM _processing_rows;

-- n, the days sorted, and the share over 30 days, of one group of applications.
CREATE OR REPLACE TEMP MACRO _processing_stats(n, sorted, over_30) AS STRUCT_PACK(
    applications := n,
    median_days := sorted[(n + 1) // 2],
    p90_days := sorted[(9 * n + 9) // 10],
    over_30 := over_30);

-- Every neighborhood and the city, in every year the city has applications (0 where an
-- area has none: its days are then NULL, not withheld).
CREATE OR REPLACE TEMP TABLE _processing_figures AS
WITH grid AS (
    SELECT a.geo_level, a.geo_id, y.year
    FROM (SELECT geo_level, geo_id FROM _areas WHERE geo_level IN ('neighborhood', 'city')) a
    CROSS JOIN (SELECT DISTINCT year FROM _processing_rows) y),
stats AS (
    SELECT geo_level, geo_id, year,
           _processing_stats(count(*), list_sort(list(days)),
                             count(*) FILTER (WHERE days > 30)) AS s
    FROM _processing_places GROUP BY ALL)
SELECT g.geo_level, g.geo_id, g.year, coalesce(s.s.applications, 0) AS applications,
       s.s.median_days, s.s.p90_days, coalesce(s.s.over_30, 0) AS over_30,
       (SELECT suppression_threshold FROM settings) > 0
           AND coalesce(s.s.applications, 0) BETWEEN 1
               AND (SELECT suppression_threshold FROM settings) - 1 AS hidden
FROM grid g LEFT JOIN stats s USING (geo_level, geo_id, year);

-- Applications counted (never withheld: a count of applications, not of businesses).
INSERT INTO metrics_long
SELECT geo_level, geo_id, year, 'processing_applications', applications, applications, NULL,
       false, false, NULL, NULL
FROM _processing_figures;

-- Median and 90th percentile of the days; the applications are the base (`denominator`)
-- the low-count flag reads.
INSERT INTO metrics_long
SELECT f.geo_level, f.geo_id, f.year, m.metric_id,
       CASE WHEN f.hidden THEN NULL
            WHEN m.metric_id = 'processing_days_median' THEN f.median_days
            ELSE f.p90_days END,
       NULL, f.applications, f.hidden, false, NULL, NULL
FROM _processing_figures f
CROSS JOIN (VALUES ('processing_days_median'), ('processing_days_p90')) m(metric_id);

-- Share of the applications issued more than 30 days after the application.
INSERT INTO metrics_long
SELECT geo_level, geo_id, year, 'processing_over_30_share',
       CASE WHEN hidden THEN NULL ELSE over_30 / nullif(applications, 0) END,
       CASE WHEN hidden THEN NULL ELSE over_30 END, applications, hidden, false, NULL, NULL
FROM _processing_figures;

-- By category: every category with applications in the area and year (no zero rows).
CREATE OR REPLACE TABLE processing_by_category AS
WITH stats AS (
    SELECT geo_level, geo_id, year, category,
           _processing_stats(count(*), list_sort(list(days)),
                             count(*) FILTER (WHERE days > 30)) AS s
    FROM _processing_places GROUP BY ALL),
flat AS (
    SELECT geo_level, geo_id, year, category, s.applications, s.median_days, s.p90_days,
           s.over_30,
           (SELECT suppression_threshold FROM settings) > 0
               AND s.applications < (SELECT suppression_threshold FROM settings) AS suppressed
    FROM stats)
SELECT geo_level, geo_id, year, category, applications,
       CASE WHEN suppressed THEN NULL ELSE median_days END AS median_days,
       CASE WHEN suppressed THEN NULL ELSE p90_days END AS p90_days,
       CASE WHEN suppressed THEN NULL ELSE over_30 / applications END AS share_over_30,
       suppressed,
       applications < (SELECT low_count_below FROM settings) AS low_count
FROM flat
ORDER BY geo_level, geo_id, year, category;

DROP TABLE _processing_rows;
DROP TABLE _processing_places;
DROP TABLE _processing_figures;
DROP MACRO _processing_stats;
