-- The statements of the public go-orm-benchmarks workload, as sqlc users
-- write them; sqlc generates queries.sql.go and copyfrom.go from them.

-- name: CreateModel :one
INSERT INTO models (name, title, fax, web, age, "right", counter)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id;

-- name: InsertModels :copyfrom
INSERT INTO models (name, title, fax, web, age, "right", counter)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- One unnest per array (they are zipped): sqlc's catalog knows only the
-- one-argument unnest.
-- name: InsertModelsReturning :many
INSERT INTO models (name, title, fax, web, age, "right", counter)
SELECT unnest(@names::text[]), unnest(@titles::text[]), unnest(@faxes::text[]), unnest(@webs::text[]),
    unnest(@ages::integer[]), unnest(@rights::boolean[]), unnest(@counters::bigint[])
RETURNING id;

-- name: UpdateModel :exec
UPDATE models
SET name = $1, title = $2, fax = $3, web = $4, age = $5, "right" = $6, counter = $7
WHERE id = $8;

-- name: GetModel :one
SELECT * FROM models
WHERE id = $1;

-- name: ListModels :many
SELECT * FROM models
WHERE id > $1
LIMIT $2;
