-- Marts, step 3: capital — SBA-backed loans (7(a) and 504) and PPP loans, by neighborhood,
-- the city and year of approval (ids: core/metrics.py, group "Capital").
-- A loan is placed at its geocoded address (weight 1 in its neighborhood) or else by its
-- ZIP code: each neighborhood counts the ZIP's share of registered businesses it holds
-- (zip_neighborhood_weights), so a neighborhood's loans are a weighted count. Loans are public row by row and never withheld. Years: the data span.

CREATE OR REPLACE TEMP TABLE _loan_pieces AS
WITH placed AS (
    SELECT l.*, w.neighborhood_id AS hood, w.weight
    FROM loans l JOIN zip_neighborhood_weights w USING (zip)
    WHERE l.placement = 'zip' AND w.weight > 0
    UNION ALL
    SELECT l.*, l.neighborhood_id, 1.0 FROM loans l
    WHERE l.placement = 'address' AND l.neighborhood_id IS NOT NULL)
SELECT CASE WHEN program = 'PPP' THEN 'ppp' ELSE 'sba' END AS family, year, amount, jobs,
       self_employed, hood AS neighborhood_id, weight
FROM placed
WHERE year BETWEEN (SELECT first_year FROM _span) AND (SELECT last_year FROM _span);

CREATE OR REPLACE TEMP TABLE _loan_places AS
SELECT 'neighborhood' AS geo_level, neighborhood_id AS geo_id, family, year, amount, jobs,
       self_employed, weight
FROM _loan_pieces
UNION ALL
SELECT 'city', 'city', family, year, amount, jobs, self_employed, weight FROM _loan_pieces;

-- Every area in every year its program has loans (0 where it has none).
CREATE OR REPLACE TEMP TABLE _loan_figures AS
WITH grid AS (
    SELECT a.geo_level, a.geo_id, f.family, f.year
    FROM (SELECT geo_level, geo_id FROM _areas WHERE geo_level IN ('neighborhood', 'city')) a
    CROSS JOIN (SELECT DISTINCT family, year FROM _loan_pieces) f),
sums AS (
    SELECT geo_level, geo_id, family, year, sum(weight) AS loans,
           sum(weight * amount) FILTER (WHERE amount IS NOT NULL) AS amount_total,
           sum(weight) FILTER (WHERE amount IS NOT NULL) AS with_amount,
           sum(weight) FILTER (WHERE jobs < 5) AS under_5_jobs,
           sum(weight) FILTER (WHERE jobs IS NOT NULL) AS with_jobs,
           sum(weight) FILTER (WHERE self_employed) AS self_employed
    FROM _loan_places GROUP BY ALL),
-- The weighted median amount: the smallest amount at which the loans up to it hold half
-- the area's (weighted) loans with an amount.
ranked AS (
    SELECT geo_level, geo_id, family, year, amount,
           sum(weight) OVER (PARTITION BY geo_level, geo_id, family, year ORDER BY amount
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running,
           sum(weight) OVER (PARTITION BY geo_level, geo_id, family, year) AS total
    FROM _loan_places WHERE amount IS NOT NULL),
medians AS (
    SELECT geo_level, geo_id, family, year, min(amount) AS amount_median
    FROM ranked WHERE running >= total / 2 - 1e-9 GROUP BY ALL)
SELECT g.geo_level, g.geo_id, g.family, g.year, coalesce(s.loans, 0) AS loans,
       coalesce(s.amount_total, 0) AS amount_total, coalesce(s.with_amount, 0) AS with_amount,
       coalesce(s.under_5_jobs, 0) AS under_5_jobs, coalesce(s.with_jobs, 0) AS with_jobs,
       coalesce(s.self_employed, 0) AS self_employed, m.amount_median
FROM grid g
LEFT JOIN sums s USING (geo_level, geo_id, family, year)
LEFT JOIN medians m USING (geo_level, geo_id, family, year);

-- Loans and amounts.
INSERT INTO metrics_long
SELECT f.geo_level, f.geo_id, f.year, f.family || m.suffix,
       CASE m.suffix WHEN '_loans' THEN f.loans WHEN '_loan_amount_total' THEN f.amount_total
                     ELSE f.amount_median END,
       CASE m.suffix WHEN '_loans' THEN f.loans ELSE f.with_amount END, NULL, false, false,
       NULL, NULL
FROM _loan_figures f
CROSS JOIN (VALUES ('_loans'), ('_loan_amount_total'), ('_loan_amount_median')) m(suffix)
WHERE m.suffix = '_loans'
   OR (m.suffix = '_loan_amount_total' AND (f.with_amount > 0 OR f.loans = 0))
   OR (m.suffix = '_loan_amount_median' AND f.with_amount > 0);

-- Loans per 1,000 businesses active on 31 December of the year of approval. More loans
-- than registered businesses says the registry misses businesses the lenders found (or
-- holds only a sample): the figure is then marked unreliable.
INSERT INTO metrics_long
SELECT f.geo_level, f.geo_id, f.year, f.family || '_loans_per_1k_businesses',
       1000 * f.loans / nullif(a.shown, 0), f.loans, a.shown, a.hidden,
       coalesce(f.loans > a.shown, false), NULL, NULL
FROM _loan_figures f
JOIN _published a ON a.measure = 'active' AND a.geo_level = f.geo_level
                 AND a.geo_id = f.geo_id AND a.year = f.year;

-- Share of the loans (with jobs reported) to businesses reporting fewer than 5 jobs.
INSERT INTO metrics_long
SELECT geo_level, geo_id, year, family || '_loans_small_share', under_5_jobs / with_jobs,
       under_5_jobs, with_jobs, false, false, NULL, NULL
FROM _loan_figures WHERE with_jobs > 0;

-- PPP loans to sole proprietors, self-employed people and independent contractors per
-- 1,000 residents; as the other rates per resident, its MOE treats the count as exact.
INSERT INTO metrics_long
SELECT f.geo_level, f.geo_id, f.year, 'ppp_self_employed_per_1k_residents',
       1000 * f.self_employed / nullif(r.residents, 0), f.self_employed, r.residents, false,
       r.residents < 100 OR coalesce(r.residents_moe / 1.645 / nullif(r.residents, 0) > 0.40, false),
       1000 * f.self_employed * r.residents_moe / nullif(r.residents * r.residents, 0),
       r.residents_moe / 1.645 / nullif(r.residents, 0)
FROM _loan_figures f JOIN _residents r USING (geo_level, geo_id)
WHERE f.family = 'ppp';

DROP TABLE _loan_pieces;
DROP TABLE _loan_places;
DROP TABLE _loan_figures;
