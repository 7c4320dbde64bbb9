-- Marts, step 1: the frame every metric shares — years, areas, residents, placed businesses.
-- Temporary tables (prefixed "_") live only while the build runs.

-- The years: build_info first_year/last_year when the build set them, else the data's
-- span (from the earliest opening, but no more than 15 years).
CREATE OR REPLACE TEMP TABLE _span AS
WITH info AS (
    SELECT max(CASE WHEN key = 'first_year' THEN TRY_CAST(value AS INTEGER) END) AS first_year,
           max(CASE WHEN key = 'last_year' THEN TRY_CAST(value AS INTEGER) END) AS last_year
    FROM build_info),
seen AS (
    SELECT min(year(opened)) AS first_open,
           greatest(max(year(opened)), coalesce(max(year(closed)), 0)) AS last_seen
    FROM businesses),
last AS (SELECT coalesce(info.last_year, seen.last_seen) AS last_year FROM info, seen)
SELECT coalesce(info.first_year, greatest(seen.first_open, last.last_year - 14)) AS first_year,
       last.last_year
FROM info, seen, last;

CREATE OR REPLACE TEMP TABLE _years AS
SELECT unnest(range(first_year, last_year + 1))::INTEGER AS year FROM _span;

-- Share of each tract's residents counted in the city (1 for a tract wholly inside).
CREATE OR REPLACE TEMP TABLE _tract_share AS
SELECT geoid, sum(weight) AS share FROM tract_neighborhood_weights GROUP BY geoid;

-- Every area metrics are computed for. Tracts: those in the city plus any a business
-- was placed in. The city is one area, geo_id 'city'.
CREATE OR REPLACE TEMP TABLE _areas AS
SELECT 'neighborhood' AS geo_level, neighborhood_id AS geo_id, area_km2 FROM neighborhoods
UNION ALL
SELECT 'tract', ids.geoid, t.area_km2 * coalesce(s.share, 1.0)
FROM (SELECT geoid FROM _tract_share
      UNION SELECT DISTINCT tract_geoid FROM businesses WHERE tract_geoid IS NOT NULL) ids
LEFT JOIN tracts t USING (geoid)
LEFT JOIN _tract_share s USING (geoid)
UNION ALL
SELECT 'city', 'city', sum(area_km2) FROM neighborhoods;

-- Residents (one ACS vintage) apportioned by the tract weights; MOE = sqrt(sum((w*MOE)^2)).
CREATE OR REPLACE TEMP TABLE _residents AS
WITH pieces AS (
    SELECT w.neighborhood_id, w.geoid, w.weight * t.population AS residents,
           w.weight * t.population_moe AS moe
    FROM tract_neighborhood_weights w JOIN tracts t USING (geoid)
    WHERE t.population IS NOT NULL),
by_tract AS (
    SELECT geoid, sum(residents) AS residents,
           -- the pieces of one tract share its sampling error: their MOEs add up
           CASE WHEN count(moe) = count(*) THEN sum(moe) END AS moe
    FROM pieces GROUP BY geoid)
SELECT 'neighborhood' AS geo_level, neighborhood_id AS geo_id, sum(residents) AS residents,
       CASE WHEN count(moe) = count(*) THEN sqrt(sum(moe * moe)) END AS residents_moe
FROM pieces GROUP BY neighborhood_id
UNION ALL
SELECT 'tract', geoid, residents, moe FROM by_tract
UNION ALL
SELECT 'city', 'city', sum(residents),
       CASE WHEN count(moe) = count(*) THEN sqrt(sum(moe * moe)) END
FROM by_tract HAVING count(*) > 0;

-- Businesses grouped by where they are (each level), category, micro flag, opening year
-- and closing year. A closing year before the opening year counts as the opening year;
-- 9999 stands for "still open".
CREATE OR REPLACE TEMP TABLE _placed AS
WITH b AS (
    SELECT neighborhood_id, coalesce(tract_geoid, '~unassigned') AS tract, category, is_micro,
           year(opened)::INTEGER AS open_year,
           greatest(coalesce(year(closed)::INTEGER, 9999), year(opened)::INTEGER) AS close_year
    FROM businesses)
SELECT CASE WHEN grouping(neighborhood_id) = 0 THEN 'neighborhood'
            WHEN grouping(tract) = 0 THEN 'tract' ELSE 'city' END AS geo_level,
       coalesce(neighborhood_id, tract, 'city') AS geo_id,
       category, is_micro, open_year, close_year, count(*) AS n
FROM b
GROUP BY GROUPING SETS ((neighborhood_id, category, is_micro, open_year, close_year),
                        (tract, category, is_micro, open_year, close_year),
                        (category, is_micro, open_year, close_year));

-- Tract level exists only where tracts do.
DELETE FROM _placed WHERE geo_level = 'tract'
    AND NOT EXISTS (SELECT 1 FROM _areas WHERE geo_level = 'tract');
