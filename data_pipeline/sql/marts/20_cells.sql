-- Marts, step 2: every count the marts publish, as one "cell" each, and the sums that tie
-- cells together (the "lines" a reader could use to work out a hidden count).
-- marts.py decides from these which cells to hide (suppression), then step 3 publishes.

-- Active businesses and micro-businesses on 31 December, by area, year and category.
CREATE OR REPLACE TEMP TABLE _stock AS
SELECT p.geo_level, p.geo_id, y.year, p.category,
       sum(p.n) AS active, coalesce(sum(p.n) FILTER (WHERE p.is_micro), 0) AS micro
FROM _placed p JOIN _years y ON p.open_year <= y.year AND p.close_year > y.year
GROUP BY ALL;

-- Counts of businesses by area and year (zeros included: every area has every year).
CREATE OR REPLACE TEMP TABLE _business_counts AS
WITH grid AS (SELECT a.geo_level, a.geo_id, y.year FROM _areas a, _years y),
stock AS (SELECT geo_level, geo_id, year, sum(active) AS active, sum(micro) AS micro
          FROM _stock GROUP BY ALL),
opened AS (
    SELECT geo_level, geo_id, open_year AS year, sum(n) AS formations,
           sum(n) FILTER (WHERE close_year > open_year + 1) AS s1,
           sum(n) FILTER (WHERE close_year > open_year + 3) AS s3,
           sum(n) FILTER (WHERE close_year > open_year + 5) AS s5
    FROM _placed GROUP BY ALL),
closed AS (SELECT geo_level, geo_id, close_year AS year, sum(n) AS closures
           FROM _placed GROUP BY ALL),
wide AS (
    SELECT g.geo_level, g.geo_id, g.year,
           coalesce(s.active, 0)::DOUBLE AS active,
           coalesce(s.micro, 0)::DOUBLE AS micro,
           coalesce(o.formations, 0)::DOUBLE AS formations,
           coalesce(c.closures, 0)::DOUBLE AS closures,
           CASE WHEN g.year + 1 <= sp.last_year THEN coalesce(o.s1, 0) END::DOUBLE AS survivors_1y,
           CASE WHEN g.year + 3 <= sp.last_year THEN coalesce(o.s3, 0) END::DOUBLE AS survivors_3y,
           CASE WHEN g.year + 5 <= sp.last_year THEN coalesce(o.s5, 0) END::DOUBLE AS survivors_5y
    FROM grid g CROSS JOIN _span sp
    LEFT JOIN stock s USING (geo_level, geo_id, year)
    LEFT JOIN opened o USING (geo_level, geo_id, year)
    LEFT JOIN closed c USING (geo_level, geo_id, year))
UNPIVOT wide ON active, micro, formations, closures, survivors_1y, survivors_3y, survivors_5y
    INTO NAME measure VALUE value;

-- By tract, only the stock of businesses: new and closed businesses per tract are mostly
-- tiny, and with the stock they would let hidden counts be worked out year to year.
DELETE FROM _business_counts WHERE geo_level = 'tract' AND measure NOT IN ('active', 'micro');

-- A registry that marks no business as a micro-business (no micro rules in the profile, or
-- none matched) cannot count them: its micro-business figures are not available, not 0.
DELETE FROM _business_counts WHERE measure = 'micro'
  AND NOT EXISTS (SELECT 1 FROM businesses WHERE is_micro);

-- Active businesses by category: every neighborhood (and the city) × the categories
-- active in the city that year. Not by tract: most tract cells would be hidden anyway.
CREATE OR REPLACE TEMP TABLE _category_cells AS
SELECT a.geo_level, a.geo_id, c.year, c.category, coalesce(s.active, 0)::DOUBLE AS value
FROM (SELECT * FROM _areas WHERE geo_level <> 'tract') a
CROSS JOIN (SELECT DISTINCT year, category FROM _stock
            WHERE geo_level = 'city' AND active > 0) c
LEFT JOIN _stock s ON s.geo_level = a.geo_level AND s.geo_id = a.geo_id
                  AND s.year = c.year AND s.category = c.category;

-- Jobs (LODES or the demo): rows known by neighborhood count there; rows known only by
-- tract are split by the tract weights. The city is the sum of its neighborhoods.
CREATE OR REPLACE TEMP TABLE _jobs_placed AS
SELECT 'neighborhood' AS geo_level, neighborhood_id AS geo_id, year, 1.0 AS w,
       jobs_total, jobs_private, jobs_small_firms, jobs_young_firms
FROM jobs WHERE neighborhood_id IS NOT NULL
UNION ALL
SELECT 'neighborhood', tw.neighborhood_id, j.year, tw.weight,
       j.jobs_total, j.jobs_private, j.jobs_small_firms, j.jobs_young_firms
FROM jobs j JOIN tract_neighborhood_weights tw ON tw.geoid = j.tract_geoid
WHERE j.neighborhood_id IS NULL
UNION ALL
SELECT 'tract', tract_geoid, year, 1.0,
       jobs_total, jobs_private, jobs_small_firms, jobs_young_firms
FROM jobs WHERE tract_geoid IS NOT NULL;

CREATE OR REPLACE TEMP TABLE _job_counts AS
WITH summed AS (
    SELECT geo_level, geo_id, year, sum(w * jobs_total) AS jobs_total,
           sum(w * jobs_private) AS jobs_private, sum(w * jobs_small_firms) AS jobs_small_firms,
           sum(w * jobs_young_firms) AS jobs_young_firms
    FROM _jobs_placed GROUP BY ALL
    UNION ALL
    SELECT 'city', 'city', year, sum(w * jobs_total), sum(w * jobs_private),
           sum(w * jobs_small_firms), sum(w * jobs_young_firms)
    FROM _jobs_placed WHERE geo_level = 'neighborhood' GROUP BY year),
-- which measures each year has at all (firm size and age exist only from 2011)
has AS (SELECT year, bool_or(jobs_private IS NOT NULL) AS private,
               bool_or(jobs_small_firms IS NOT NULL) AS small,
               bool_or(jobs_young_firms IS NOT NULL) AS young
        FROM jobs GROUP BY year),
wide AS (
    SELECT a.geo_level, a.geo_id, h.year,
           coalesce(s.jobs_total, 0)::DOUBLE AS jobs_total,
           CASE WHEN h.private THEN coalesce(s.jobs_private, 0) END::DOUBLE AS jobs_private,
           CASE WHEN h.small THEN coalesce(s.jobs_small_firms, 0) END::DOUBLE AS jobs_small_firms,
           CASE WHEN h.young THEN coalesce(s.jobs_young_firms, 0) END::DOUBLE AS jobs_young_firms
    FROM _areas a CROSS JOIN has h
    LEFT JOIN summed s ON s.geo_level = a.geo_level AND s.geo_id = a.geo_id AND s.year = h.year
    WHERE a.geo_level <> 'tract' OR EXISTS (SELECT 1 FROM jobs WHERE tract_geoid IS NOT NULL))
UNPIVOT wide ON jobs_total, jobs_private, jobs_small_firms, jobs_young_firms
    INTO NAME measure VALUE value;

-- Census ZIP Business Patterns, size class 212 (1 to 4 employees), all sectors, split
-- from ZIP codes to neighborhoods by the ZIP weights.
CREATE OR REPLACE TEMP TABLE _census_micro AS
WITH pieces AS (
    SELECT w.neighborhood_id AS geo_id, bp.year, bp.establishments * w.weight AS value
    FROM business_patterns bp JOIN zip_neighborhood_weights w ON w.zip = bp.geo_id
    WHERE bp.geo_level = 'zip' AND bp.naics = '00' AND bp.size_class = '212'
      AND bp.establishments IS NOT NULL),
grid AS (SELECT n.neighborhood_id AS geo_id, y.year
         FROM neighborhoods n CROSS JOIN (SELECT DISTINCT year FROM pieces) y),
hoods AS (SELECT 'neighborhood' AS geo_level, g.geo_id, g.year,
                 coalesce(sum(p.value), 0)::DOUBLE AS value
          FROM grid g LEFT JOIN pieces p USING (geo_id, year) GROUP BY ALL)
SELECT * FROM hoods
UNION ALL
SELECT 'city', 'city', year, sum(value) FROM hoods GROUP BY year;

-- All cells. At the tract level, what no tract holds (businesses without a tract, jobs
-- of tracts outside the city) is a pseudo-area '~unassigned' that is never published.
CREATE OR REPLACE TEMP TABLE _cells_raw AS
SELECT geo_level, geo_id, year, measure, '' AS category, value FROM _business_counts
UNION ALL
SELECT geo_level, geo_id, year, 'category', category, value FROM _category_cells
UNION ALL
SELECT geo_level, geo_id, year, measure, '', value FROM _job_counts
UNION ALL
SELECT geo_level, geo_id, year, 'census_micro', '', value FROM _census_micro;

INSERT INTO _cells_raw
SELECT 'tract', '~unassigned', c.year, c.measure, c.category,
       c.value - coalesce(t.value, 0)
FROM (SELECT * FROM _cells_raw WHERE geo_level = 'city') c
JOIN (SELECT year, measure, category, sum(value) AS value FROM _cells_raw
      WHERE geo_level = 'tract' GROUP BY ALL) t USING (year, measure, category);

-- Where tracts and neighborhoods cover the same ground (a group of the overlap graph in
-- _overlaps, written by marts.py), their counts add up to the same total, but for what
-- the group's tracts miss: a pseudo-area 'overlap', never published.
INSERT INTO _cells_raw
SELECT 'overlap', o.component::VARCHAR, c.year, c.measure, c.category,
       sum(CASE WHEN c.geo_level = 'neighborhood' THEN c.value ELSE -c.value END)
FROM _cells_raw c JOIN _overlaps o USING (geo_level, geo_id)
WHERE c.measure IN (SELECT measure FROM _cells_raw WHERE geo_level = 'tract')
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE _cells AS
SELECT (row_number() OVER (ORDER BY geo_level, geo_id, year, measure, category) - 1)::BIGINT
           AS cell_id,
       *, geo_level IN ('neighborhood', 'tract', 'city') AND geo_id <> '~unassigned' AS hideable
FROM _cells_raw;

-- The lines: sums a reader can form from what is published. Each line is a set of
-- cells with coefficients +1/-1 adding up to zero.
CREATE OR REPLACE TEMP TABLE _line_keys AS
-- 1. The areas of one level add up to the city (per year, measure and category).
SELECT 'sum|' || geo_level || '|' || year || '|' || measure || '|' || category AS line,
       cell_id, 1 AS coef
FROM _cells WHERE geo_level IN ('neighborhood', 'tract')
UNION ALL
SELECT 'sum|' || lv.geo_level || '|' || c.year || '|' || c.measure || '|' || c.category,
       c.cell_id, -1
FROM _cells c
JOIN (SELECT DISTINCT geo_level, year, measure, category FROM _cells
      WHERE geo_level IN ('neighborhood', 'tract')) lv USING (year, measure, category)
WHERE c.geo_level = 'city'
UNION ALL
-- 2. An area's categories add up to its active businesses (where categories are cells).
SELECT 'mix|' || geo_level || '|' || geo_id || '|' || year, cell_id,
       CASE WHEN measure = 'category' THEN 1 ELSE -1 END
FROM _cells
WHERE (measure = 'category' OR measure = 'active')
  AND geo_level IN (SELECT DISTINCT geo_level FROM _category_cells)
UNION ALL
-- 3. Active(y) - active(y-1) = new(y) - closed(y), for every neighborhood and the city.
SELECT 'flow|' || c.geo_level || '|' || c.geo_id || '|' || y.year, c.cell_id,
       CASE WHEN c.measure = 'active' AND c.year = y.year THEN 1
            WHEN c.measure = 'active' THEN -1
            WHEN c.measure = 'formations' THEN -1 ELSE 1 END
FROM _cells c
JOIN _years y ON (c.measure = 'active' AND c.year IN (y.year, y.year - 1))
              OR (c.measure IN ('formations', 'closures') AND c.year = y.year)
WHERE y.year > (SELECT first_year FROM _span) AND c.geo_level IN ('neighborhood', 'city')
UNION ALL
-- 4. A group's neighborhoods add up to its tracts plus its pseudo-area.
SELECT 'overlap|' || o.component || '|' || c.year || '|' || c.measure, c.cell_id,
       CASE WHEN c.geo_level = 'tract' THEN 1 ELSE -1 END
FROM _cells c JOIN _overlaps o USING (geo_level, geo_id)
WHERE c.measure IN (SELECT measure FROM _cells WHERE geo_level = 'tract')
UNION ALL
SELECT 'overlap|' || geo_id || '|' || year || '|' || measure, cell_id, 1
FROM _cells WHERE geo_level = 'overlap';

-- A sum that needs a pseudo-area (businesses without a tract, jobs placed apart from
-- their tract) holds only if that pseudo-area is empty; a reader cannot know otherwise,
-- so the other sums are dropped.
DELETE FROM _line_keys WHERE line IN (
    SELECT k.line FROM _line_keys k JOIN _cells c USING (cell_id)
    WHERE NOT c.hideable AND abs(c.value) > 1e-9);

CREATE OR REPLACE TEMP TABLE _line_members AS
SELECT (dense_rank() OVER (ORDER BY line) - 1)::BIGINT AS line_id, cell_id, coef
FROM _line_keys;
