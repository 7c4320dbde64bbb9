-- Marts, step 3 (continued): resilience, how each neighborhood and the city came through
-- the 2020 downturn, read from the published counts of businesses (issue 16, part 3).
--
-- The 2019 level is the count on 31 December 2019. The low is the lowest year-end count of
-- 2020–2022 within the build's years (the later year when two are equally low): a
-- registry sees closures when licences lapse, up to two years after the fact, and a window
-- that ends in 2022 keeps a later, unrelated decline out of the downturn.
-- Every figure is filed under the year 2019, the year of the level it is measured against.
-- An area with no businesses (or no micro-businesses) at the end of 2019 has no value.
-- A figure that reads a hidden count is hidden (value NULL, suppressed true). The figures
-- need 2019 and 2020 among the build's years (net new businesses also 2021): otherwise
-- they are absent, and metric_registry.not_available says why.

-- The fall from the 2019 level to the low, the low's year, and the years taken to get
-- back to the 2019 level (0 when the count never fell below it; NULL: not yet back).
INSERT INTO metrics_long
WITH level AS (
    SELECT geo_level, geo_id, measure, year, shown, hidden
    FROM _published
    WHERE measure IN ('active', 'micro') AND geo_level IN ('neighborhood', 'city')
      AND year >= 2019),
base AS (
    SELECT geo_level, geo_id, measure, shown AS base, hidden
    FROM level WHERE year = 2019),
low AS (
    SELECT geo_level, geo_id, measure, min(shown) AS low, bool_or(hidden) AS hidden
    FROM level WHERE year BETWEEN 2020 AND 2022 GROUP BY ALL),
low_year AS (  -- the later year when two are equally low
    SELECT l.geo_level, l.geo_id, l.measure, max(v.year) AS low_year
    FROM low l JOIN level v USING (geo_level, geo_id, measure)
    WHERE v.year BETWEEN 2020 AND 2022 AND v.shown = l.low GROUP BY ALL),
fall AS (
    SELECT b.geo_level, b.geo_id, b.measure, b.base, l.low, y.low_year,
           b.hidden OR l.hidden AS hidden
    FROM base b JOIN low l USING (geo_level, geo_id, measure)
    LEFT JOIN low_year y USING (geo_level, geo_id, measure)),
-- The first year after the low back at the 2019 level. It reads every year from 2019 on,
-- so any hidden one hides it.
back AS (
    SELECT f.geo_level, f.geo_id, f.measure,
           min(v.year) FILTER (WHERE v.year > f.low_year AND v.shown >= f.base) AS back_year,
           bool_or(v.hidden) AS hidden
    FROM fall f JOIN level v USING (geo_level, geo_id, measure) GROUP BY ALL)
SELECT f.geo_level, f.geo_id, 2019, m.metric_id,
       CASE WHEN NOT m.suppressed AND f.base > 0 THEN m.value END,
       CASE WHEN NOT m.suppressed AND f.base > 0 THEN m.numerator END,
       f.base, m.suppressed, false, NULL, NULL
FROM fall f JOIN back k USING (geo_level, geo_id, measure)
JOIN (VALUES ('active', ''), ('micro', 'micro_')) p(measure, prefix) USING (measure),
LATERAL (VALUES
    (p.prefix || 'downturn_drawdown', (f.low - f.base) / nullif(f.base, 0), f.low - f.base,
     f.hidden),
    (p.prefix || 'downturn_low_year', f.low_year::DOUBLE, NULL, f.hidden),
    (p.prefix || 'downturn_recovery_years',
     CASE WHEN f.low >= f.base THEN 0 ELSE k.back_year - 2019 END::DOUBLE, NULL,
     k.hidden)) m(metric_id, value, numerator, suppressed);

-- Does the micro sector cushion the area? Its micro-businesses' fall minus all its
-- businesses' fall, in percentage points (above 0: the micro-businesses fell less).
INSERT INTO metrics_long
SELECT m.geo_level, m.geo_id, 2019, 'micro_downturn_cushion',
       100 * (m.value - a.value), NULL, m.denominator, m.suppressed OR a.suppressed, false,
       NULL, NULL
FROM metrics_long m
JOIN metrics_long a ON a.metric_id = 'downturn_drawdown' AND a.geo_level = m.geo_level
                   AND a.geo_id = m.geo_id AND a.year = m.year
WHERE m.metric_id = 'micro_downturn_drawdown';

-- Net new businesses in the downturn: new − closed in 2020 and 2021, per 100 businesses
-- active on 31 December 2019. Like net_formations, it equals the change in active
-- businesses (31 December 2019 to 31 December 2021), which a neighborhood and the city
-- never hide: so it is shown from those counts when a count of new or closed is hidden.
INSERT INTO metrics_long
WITH flows AS (
    SELECT geo_level, geo_id,
           sum(CASE WHEN measure = 'formations' THEN shown ELSE -shown END) AS net,
           bool_or(hidden) AS hidden
    FROM _published
    WHERE measure IN ('formations', 'closures') AND geo_level IN ('neighborhood', 'city')
      AND year IN (2020, 2021)
    GROUP BY ALL),
stock AS (  -- both 31 December 2019 and 2021 among the build's years
    SELECT geo_level, geo_id, max(shown) FILTER (WHERE year = 2019) AS before,
           max(shown) FILTER (WHERE year = 2021) AS after, bool_or(hidden) AS hidden
    FROM _published
    WHERE measure = 'active' AND geo_level IN ('neighborhood', 'city')
      AND year IN (2019, 2021)
    GROUP BY ALL HAVING count(*) = 2)
SELECT s.geo_level, s.geo_id, 2019, 'downturn_net_per_100', 100 * n.net / nullif(s.before, 0),
       n.net, s.before, n.net IS NULL OR s.before IS NULL, false, NULL, NULL
FROM stock s JOIN flows f USING (geo_level, geo_id),
LATERAL (SELECT CASE WHEN NOT f.hidden THEN f.net
                     WHEN NOT s.hidden THEN s.after - s.before END AS net) n;

-- The same compared with the city: the area's figure minus the city's, in the same unit.
INSERT INTO metrics_long
SELECT a.geo_level, a.geo_id, 2019, 'downturn_net_vs_city', a.value - c.value, NULL,
       a.denominator, a.suppressed OR c.suppressed, false, NULL, NULL
FROM metrics_long a
JOIN metrics_long c ON c.metric_id = a.metric_id AND c.geo_level = 'city' AND c.year = a.year
WHERE a.metric_id = 'downturn_net_per_100';
