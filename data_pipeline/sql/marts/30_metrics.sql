-- Marts, step 3: metrics_long, one row per area, year and metric (ids: metrics.py).
-- A hidden count has value and numerator NULL and suppressed true; a figure computed from
-- a hidden count is hidden too. `moe` is a 90% margin of error (ACS-based figures only);
-- `cv` its coefficient of variation; `unreliable` marks rates over fewer than 100
-- residents or with a CV above 40%.

CREATE OR REPLACE TEMP TABLE _published AS
SELECT c.geo_level, c.geo_id, c.year, c.measure, c.category, c.value,
       h.cell_id IS NOT NULL AS hidden,
       CASE WHEN h.cell_id IS NULL THEN c.value END AS shown
FROM _cells c LEFT JOIN _hidden h USING (cell_id)
WHERE c.hideable;

CREATE OR REPLACE TABLE metrics_long (
    geo_level   VARCHAR NOT NULL,   -- 'neighborhood' | 'tract' | 'city'
    geo_id      VARCHAR NOT NULL,   -- neighborhood_id, tract GEOID, or 'city'
    year        INTEGER NOT NULL,
    metric_id   VARCHAR NOT NULL,   -- metric_registry.metric_id
    value       DOUBLE,             -- NULL when suppressed or not defined
    numerator   DOUBLE,             -- the count behind a rate or share (NULL when hidden)
    denominator DOUBLE,             -- residents, km², active businesses, cohort, jobs
    suppressed  BOOLEAN NOT NULL,
    unreliable  BOOLEAN NOT NULL,
    moe         DOUBLE,
    cv          DOUBLE
);

-- Counts.
INSERT INTO metrics_long
SELECT p.geo_level, p.geo_id, p.year, m.metric_id, p.shown, p.shown, NULL, p.hidden, false,
       NULL, NULL
FROM _published p
JOIN (VALUES ('active', 'active_businesses'), ('micro', 'micro_businesses'),
             ('formations', 'formations'), ('closures', 'closures'),
             ('jobs_total', 'jobs_total'), ('jobs_private', 'jobs_private'),
             ('jobs_small_firms', 'jobs_small_firms'), ('jobs_young_firms', 'jobs_young_firms'),
             ('census_micro', 'census_micro_establishments')) m(measure, metric_id)
  USING (measure);

-- Residents: one ACS vintage, shown under its year.
INSERT INTO metrics_long
SELECT r.geo_level, r.geo_id,
       coalesce((SELECT max(acs_year) FROM tracts), (SELECT last_year FROM _span)),
       'residents', r.residents, NULL, NULL, false,
       coalesce(r.residents_moe / 1.645 / nullif(r.residents, 0) > 0.40, false),
       r.residents_moe, r.residents_moe / 1.645 / nullif(r.residents, 0)
FROM _residents r;

-- Per 1,000 residents. The count is exact, so (ACS handbook, derived ratio)
-- MOE(rate) = 1000 * count * MOE(residents) / residents^2, and CV(rate) = CV(residents).
INSERT INTO metrics_long
SELECT p.geo_level, p.geo_id, p.year, m.metric_id,
       1000 * p.shown / nullif(r.residents, 0), p.shown, r.residents, p.hidden,
       r.residents < 100 OR coalesce(r.residents_moe / 1.645 / nullif(r.residents, 0) > 0.40, false),
       1000 * p.shown * r.residents_moe / nullif(r.residents * r.residents, 0),
       CASE WHEN NOT p.hidden THEN r.residents_moe / 1.645 / nullif(r.residents, 0) END
FROM _published p
JOIN _residents r USING (geo_level, geo_id)
JOIN (VALUES ('micro', 'micro_per_1k_residents'), ('active', 'businesses_per_1k_residents'),
             ('formations', 'formations_per_1k_residents'),
             ('closures', 'closures_per_1k_residents')) m(measure, metric_id)
  USING (measure);

-- Per km².
INSERT INTO metrics_long
SELECT p.geo_level, p.geo_id, p.year, 'businesses_per_km2', p.shown / nullif(a.area_km2, 0),
       p.shown, a.area_km2, p.hidden, false, NULL, NULL
FROM _published p JOIN _areas a USING (geo_level, geo_id)
WHERE p.measure = 'active';

-- Per 100 businesses active at the start of the year (31 December of the year before).
INSERT INTO metrics_long
SELECT f.geo_level, f.geo_id, f.year, m.metric_id,
       100 * f.shown / nullif(a.shown, 0), f.shown, a.shown, f.hidden OR a.hidden, false,
       NULL, NULL
FROM _published f
JOIN _published a ON a.measure = 'active' AND a.geo_level = f.geo_level
                 AND a.geo_id = f.geo_id AND a.year = f.year - 1
JOIN (VALUES ('formations', 'formations_per_100_active'),
             ('closures', 'closures_per_100_active')) m(measure, metric_id)
  ON m.measure = f.measure;

-- Differences: net new businesses, change in jobs. Net new businesses equal the change in
-- active businesses from the year before (active(y) − active(y−1) = new − closed), and a
-- neighborhood's or the city's active count is never hidden: so the difference is
-- published whenever both active counts are, even when new or closed is withheld.
INSERT INTO metrics_long
SELECT a.geo_level, a.geo_id, a.year, m.metric_id,
       CASE WHEN NOT (a.hidden OR b.hidden) OR coalesce(NOT (s.hidden OR t.hidden), false)
            THEN a.value - b.value END, NULL, NULL,
       (a.hidden OR b.hidden) AND coalesce(s.hidden OR t.hidden, true), false, NULL, NULL
FROM (VALUES ('net_formations', 'formations', 'closures', 0),
             ('jobs_change', 'jobs_total', 'jobs_total', 1)) m(metric_id, plus, minus, lag)
JOIN _published a ON a.measure = m.plus
JOIN _published b ON b.measure = m.minus AND b.geo_level = a.geo_level
                 AND b.geo_id = a.geo_id AND b.year = a.year - m.lag
LEFT JOIN _published s ON m.metric_id = 'net_formations' AND s.measure = 'active'
                      AND s.geo_level = a.geo_level AND s.geo_id = a.geo_id AND s.year = a.year
LEFT JOIN _published t ON m.metric_id = 'net_formations' AND t.measure = 'active'
                      AND t.geo_level = a.geo_level AND t.geo_id = a.geo_id
                      AND t.year = a.year - 1;

-- Shares: survival of the year's new businesses, jobs at small and young firms.
INSERT INTO metrics_long
SELECT p.geo_level, p.geo_id, p.year, m.metric_id, p.shown / nullif(d.shown, 0),
       p.shown, d.shown, p.hidden OR d.hidden, false, NULL, NULL
FROM (VALUES ('survival_1y', 'survivors_1y', 'formations'),
             ('survival_3y', 'survivors_3y', 'formations'),
             ('survival_5y', 'survivors_5y', 'formations'),
             ('jobs_small_firms_share', 'jobs_small_firms', 'jobs_private'),
             ('jobs_young_firms_share', 'jobs_young_firms', 'jobs_private')) m(metric_id, part, whole)
JOIN _published p ON p.measure = m.part
JOIN _published d ON d.measure = m.whole AND d.geo_level = p.geo_level
                 AND d.geo_id = p.geo_id AND d.year = p.year;

-- Diversity of the active businesses' categories (exact counts; "Other or unclassified"
-- left out), hidden where the number of active businesses is hidden.
INSERT INTO metrics_long
WITH mix AS (
    SELECT geo_level, geo_id, year, active AS value FROM _stock
    WHERE active > 0 AND geo_id <> '~unassigned'
      AND category <> (SELECT unknown_category FROM settings)),
total AS (SELECT geo_level, geo_id, year, sum(value) AS n, count(*) AS richness
          FROM mix GROUP BY ALL),
idx AS (
    SELECT t.geo_level, t.geo_id, t.year, t.richness,
           -sum(m.value / t.n * ln(m.value / t.n)) AS h,
           1 - sum((m.value / t.n) * (m.value / t.n)) AS gs
    FROM mix m JOIN total t USING (geo_level, geo_id, year) GROUP BY ALL),
shown AS (
    SELECT a.geo_level, a.geo_id, a.year, a.hidden, coalesce(i.richness, 0) AS richness,
           i.h, i.gs
    FROM _published a LEFT JOIN idx i USING (geo_level, geo_id, year)
    WHERE a.measure = 'active')
SELECT geo_level, geo_id, year, metric_id,
       CASE WHEN NOT hidden THEN v END, NULL, NULL, hidden, false, NULL, NULL
FROM shown,
LATERAL (VALUES
    ('category_richness', richness::DOUBLE),
    ('shannon_diversity', CASE WHEN h > 0 THEN round(h, 2) ELSE 0.0 END),
    ('diversity_evenness', CASE WHEN richness > 1 THEN round(least(greatest(h, 0) / ln(richness), 1), 2) END),
    ('effective_categories', round(exp(greatest(h, 0)), 1)),
    ('gini_simpson', round(greatest(gs, 0), 2))) d(metric_id, v);
