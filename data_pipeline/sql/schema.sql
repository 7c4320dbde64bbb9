-- Canonical schema of a Main Street Atlas database (one city per file).
-- Documented column by column in docs/schema.md. Every source fits these tables;
-- the marts (marts.sql) are built from them at the end of every build.

CREATE TABLE build_info (
    key   VARCHAR PRIMARY KEY,     -- city_name, city_slug, is_demo, built_at, seed, ...
    value VARCHAR
);

CREATE TABLE neighborhoods (
    neighborhood_id VARCHAR PRIMARY KEY,
    name            VARCHAR NOT NULL,
    area_km2        DOUBLE NOT NULL,
    centroid_lat    DOUBLE,
    centroid_lon    DOUBLE,
    geometry_wkb    BLOB NOT NULL  -- WGS84 (EPSG:4326) polygon or multipolygon, WKB
);

CREATE TABLE tracts (
    geoid                        VARCHAR PRIMARY KEY,  -- 11 characters, zero-padded
    name                         VARCHAR,
    area_km2                     DOUBLE NOT NULL,
    acs_year                     INTEGER,              -- last year of the ACS 5-year vintage
    population                   DOUBLE,
    population_moe               DOUBLE,
    households                   DOUBLE,
    households_moe               DOUBLE,
    median_household_income      DOUBLE,
    median_household_income_moe  DOUBLE,
    labor_force                  DOUBLE,
    labor_force_moe              DOUBLE,
    employed                     DOUBLE,
    employed_moe                 DOUBLE,
    geometry_wkb                 BLOB NOT NULL
);

-- Share of a tract's residents living in a neighborhood. For each tract the weights
-- sum to the share of the tract inside the city (1 for tracts wholly inside).
CREATE TABLE tract_neighborhood_weights (
    geoid           VARCHAR NOT NULL,
    neighborhood_id VARCHAR NOT NULL,
    weight          DOUBLE NOT NULL,
    method          VARCHAR NOT NULL,   -- 'area' | 'block_population' | 'nested'
    PRIMARY KEY (geoid, neighborhood_id)
);

-- One row per business location (license terms and renewals already merged).
CREATE TABLE businesses (
    business_id      VARCHAR NOT NULL,     -- stable within a city: source + business key;
                                           -- unique (load.check_database: no index, whose
                                           -- memory would grow with the registry)
    source           VARCHAR NOT NULL,     -- sources.source_id
    source_key       VARCHAR NOT NULL,     -- the profile's business key (e.g. account-site)
    name             VARCHAR,
    license_type     VARCHAR,
    raw_category     VARCHAR,              -- the registry's own category text
    category         VARCHAR NOT NULL,     -- plain-language category
    naics_sector     VARCHAR,              -- 2-digit NAICS sector code ('44-45' style ranges allowed)
    home_based       BOOLEAN NOT NULL,
    sole_proprietor  BOOLEAN NOT NULL,
    is_micro         BOOLEAN NOT NULL,     -- home-based, sole-proprietor or limited per profile
    opened           DATE NOT NULL,
    closed           DATE,                 -- NULL while still active
    address          VARCHAR,              -- never shown for home-based businesses
    latitude         DOUBLE NOT NULL,
    longitude        DOUBLE NOT NULL,
    neighborhood_id  VARCHAR NOT NULL,
    tract_geoid      VARCHAR,
    terms_merged     INTEGER NOT NULL DEFAULT 1, -- raw rows merged into this location
    geocode_match    VARCHAR               -- 'exact' | 'non-exact': placed by the Census Geocoder
                                           -- from its address; NULL: the portal's own point
);

-- Jobs from LODES WAC (or the demo), at the finest geography the source gives.
CREATE TABLE jobs (
    geo_level         VARCHAR NOT NULL,   -- 'block' | 'block_group' | 'tract'
    geo_id            VARCHAR NOT NULL,
    tract_geoid       VARCHAR,
    neighborhood_id   VARCHAR,            -- by the unit's location when known
    year              INTEGER NOT NULL,
    jobs_total        INTEGER NOT NULL,   -- C000, all jobs (JT00)
    jobs_private      INTEGER,            -- C000 of private jobs (JT02)
    jobs_small_firms  INTEGER,            -- CFS01 (firms of 0-19 employees, JT02)
    jobs_young_firms  INTEGER,            -- CFA01 + CFA02 (firms 0-3 years old, JT02)
    PRIMARY KEY (geo_level, geo_id, year)
);

CREATE TABLE jobs_by_sector (
    geo_level     VARCHAR NOT NULL,
    geo_id        VARCHAR NOT NULL,
    year          INTEGER NOT NULL,
    naics_sector  VARCHAR NOT NULL,       -- from CNS01..CNS20
    jobs          INTEGER NOT NULL,
    PRIMARY KEY (geo_level, geo_id, year, naics_sector)
);

-- County / ZIP Business Patterns: establishments by employment size class.
CREATE TABLE business_patterns (
    geo_level       VARCHAR NOT NULL,     -- 'zip' | 'county'
    geo_id          VARCHAR NOT NULL,
    year            INTEGER NOT NULL,
    naics           VARCHAR NOT NULL,     -- '00' = all sectors
    size_class      VARCHAR NOT NULL,     -- EMPSZES code, e.g. '212' = 1 to 4 employees
    size_label      VARCHAR,
    establishments  INTEGER,
    PRIMARY KEY (geo_level, geo_id, year, naics, size_class)
);

-- Share of a ZIP's establishments counted in a neighborhood (for Business Patterns).
CREATE TABLE zip_neighborhood_weights (
    zip             VARCHAR NOT NULL,
    neighborhood_id VARCHAR NOT NULL,
    weight          DOUBLE NOT NULL,
    method          VARCHAR NOT NULL,
    PRIMARY KEY (zip, neighborhood_id)
);

-- Nonemployer Statistics: county context only.
CREATE TABLE nonemployers (
    county_fips     VARCHAR NOT NULL,     -- 5 characters, state + county
    year            INTEGER NOT NULL,
    naics           VARCHAR NOT NULL,
    establishments  INTEGER,
    receipts_1000   DOUBLE,
    PRIMARY KEY (county_fips, year, naics)
);

-- One row per input: where it came from and how its rows were accounted for.
CREATE TABLE sources (
    source_id     VARCHAR PRIMARY KEY,    -- e.g. 'businesses', 'acs', 'lodes_2021'
    kind          VARCHAR NOT NULL,       -- 'businesses' | 'neighborhoods' | 'tracts' | 'acs' | 'jobs' | ...
    name          VARCHAR NOT NULL,       -- plain words: 'City of Chicago Business Licenses'
    publisher     VARCHAR,
    url           VARCHAR,                -- never with a key or token in it
    vintage       VARCHAR,
    license       VARCHAR,
    fetched_at    TIMESTAMP,              -- fetch or generation time (UTC)
    sha256        VARCHAR,
    rows_raw      BIGINT NOT NULL,
    rows_loaded   BIGINT NOT NULL,
    rows_merged   BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL
);

-- Every row that did not make it in, with why. Nothing is dropped silently.
CREATE TABLE rejected_records (
    source_id   VARCHAR NOT NULL,
    row_number  BIGINT,                   -- 1-based position in the raw input
    reason      VARCHAR NOT NULL,
    raw         VARCHAR                   -- the raw row as JSON text
);

-- Categories the profile did not map, with counts (shown by `status`).
CREATE TABLE unmapped_categories (
    source_id     VARCHAR NOT NULL,
    raw_category  VARCHAR NOT NULL,
    rows          BIGINT NOT NULL
);
