-- The models table of the public go-orm-benchmarks workload (its id is a
-- bigserial here: every library reads keys as int64). sqlc reads this file
-- to type the queries; the benchmarks run it (Schema) to recreate the table.
DROP TABLE IF EXISTS models;
CREATE TABLE models (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    title text NOT NULL,
    fax text NOT NULL,
    web text NOT NULL,
    age integer NOT NULL,
    "right" boolean NOT NULL,
    counter bigint NOT NULL
);
