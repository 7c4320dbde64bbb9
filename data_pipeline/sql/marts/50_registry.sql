-- Marts, step 3 (end): the metric registry for SQL users and the Data & methods page,
-- with the loaded sources (name and vintage) each metric depends on.

CREATE OR REPLACE TABLE metric_registry AS
SELECT r.metric_id, r.label, r.description, r.unit, r.formula, r.tables, r.higher_is_better,
       r.source_kinds, r.metric_group, r.format, r.kind, r.caveat, r.mart,
       (SELECT string_agg(s.name || coalesce(', ' || s.vintage, ''), '; ' ORDER BY s.name)
        FROM sources s
        WHERE list_contains(string_split(r.source_kinds, ', '), s.kind)) AS source_vintages,
       CASE r.mart
           WHEN 'metrics_long' THEN r.metric_id IN (SELECT metric_id FROM metrics_long)
           WHEN 'category_counts' THEN EXISTS (SELECT 1 FROM category_counts)
           ELSE EXISTS (SELECT 1 FROM location_quotients) END AS available
FROM _registry_rows r
ORDER BY r.position;

CREATE OR REPLACE TABLE settings AS
SELECT s.suppression_threshold, s.unknown_category, sp.first_year, sp.last_year
FROM settings s, _span sp;
