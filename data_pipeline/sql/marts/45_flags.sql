-- Marts, step 3 (after every metric file, 30–44): flags on metrics_long.

-- Small numbers are flagged, not hidden: a rate, share, survival figure or diversity index
-- computed from fewer than `settings.low_count_below` businesses or events is `low_count`
-- (NCHS practice: below 20 events the relative standard error exceeds 23%). Which count
-- decides is the registry's `low_count_basis`: the events of a rate (numerator), the
-- cohort or base of a share (denominator), or the area's active businesses (an index).
ALTER TABLE metrics_long ADD COLUMN low_count BOOLEAN DEFAULT false;

UPDATE metrics_long m SET low_count = true
FROM _registry_rows r
WHERE r.metric_id = m.metric_id AND r.low_count_basis IN ('numerator', 'denominator')
  AND CASE r.low_count_basis WHEN 'numerator' THEN m.numerator ELSE m.denominator END
      < (SELECT low_count_below FROM settings);

UPDATE metrics_long m SET low_count = true
FROM _registry_rows r, _published a
WHERE r.metric_id = m.metric_id AND r.low_count_basis = 'businesses'
  AND a.measure = 'active' AND a.geo_level = m.geo_level AND a.geo_id = m.geo_id
  AND a.year = m.year AND a.shown < (SELECT low_count_below FROM settings);

UPDATE metrics_long SET low_count = false WHERE low_count IS NULL;
