-- Marts, step 3 (continued): categories and how the figures were apportioned.

-- Active businesses by area, year and category: every category active in the city that
-- year, for every area, so a hidden count could be 0, 1 or 2 (or a complementary cell).
CREATE OR REPLACE TABLE category_counts AS
SELECT geo_level, geo_id, year, category, shown AS count, hidden AS suppressed
FROM _published WHERE measure = 'category'
ORDER BY geo_level, geo_id, year, category;

-- Location quotient: the category's share of the area's active businesses over its share
-- of the city's. Hidden where the count or the area's total is hidden.
CREATE OR REPLACE TABLE location_quotients AS
WITH cells AS (
    SELECT c.geo_level, c.geo_id, c.year, c.category, c.shown AS count, c.hidden,
           c.shown / nullif(a.shown, 0) AS share
    FROM _published c
    JOIN _published a ON a.measure = 'active' AND a.geo_level = c.geo_level
                     AND a.geo_id = c.geo_id AND a.year = c.year
    WHERE c.measure = 'category'
      AND c.category <> (SELECT unknown_category FROM settings)),
city AS (SELECT year, category, share AS city_share FROM cells WHERE geo_level = 'city')
SELECT c.geo_level, c.geo_id, c.year, c.category, c.count, c.share, city.city_share,
       round(c.share / nullif(city.city_share, 0), 2) AS lq,
       c.hidden OR c.share IS NULL AS suppressed,
       -- from fewer than 20 businesses of the category: flagged, shown, never headlined
       coalesce(c.count < (SELECT low_count_below FROM settings), false) AS low_count
FROM cells c JOIN city USING (year, category)
ORDER BY c.geo_level, c.geo_id, c.year, c.category;

-- How each outside figure reached the neighborhoods (shown on the Data & methods page).
CREATE OR REPLACE TABLE apportionment AS
SELECT 'residents: tract to neighborhood' AS step, method, count(*) AS pairs,
       count(DISTINCT geoid) AS source_units
FROM tract_neighborhood_weights GROUP BY method
UNION ALL
SELECT 'jobs: workplace to neighborhood',
       CASE WHEN neighborhood_id IS NOT NULL THEN 'location of the ' || geo_level
            ELSE 'tract weights' END,
       count(*), count(DISTINCT geo_id)
FROM jobs WHERE neighborhood_id IS NOT NULL OR tract_geoid IS NOT NULL GROUP BY 2
UNION ALL
SELECT 'Census establishments: ZIP to neighborhood', method, count(*), count(DISTINCT zip)
FROM zip_neighborhood_weights GROUP BY method
ORDER BY step, method;
