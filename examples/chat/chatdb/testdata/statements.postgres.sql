-- UpdateThread
SELECT "threads"."id", "threads"."created_at", "threads"."name", "threads"."user_id", "threads"."user_identifier", "threads"."tags", "threads"."metadata", "threads"."version" FROM "threads" WHERE "threads"."id" = $1 LIMIT $2 FOR UPDATE;
SAVEPOINT strata_sp_1;
UPDATE "threads" SET "name" = $1, "version" = $2 WHERE "threads"."id" = $3 AND "threads"."version" = $4;
RELEASE SAVEPOINT strata_sp_1;
-- CreateStep
SELECT "steps"."id", "steps"."thread_id", "steps"."parent_id", "steps"."name", "steps"."type", "steps"."input", "steps"."output", "steps"."metadata", "steps"."tags", "steps"."is_error", "steps"."created_at", "steps"."start_time", "steps"."end_time" FROM "steps" WHERE "steps"."id" = $1;
SAVEPOINT strata_sp_1;
INSERT INTO "steps" ("id", "thread_id", "parent_id", "name", "type", "input", "output", "metadata", "tags", "is_error", "created_at", "start_time", "end_time") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT ("id") DO NOTHING RETURNING "id", "thread_id", "parent_id", "name", "type", "input", "output", "metadata", "tags", "is_error", "created_at", "start_time", "end_time";
RELEASE SAVEPOINT strata_sp_1;
-- ListThreads (search, feedback, cursor)
SELECT "threads"."id", "threads"."created_at", "threads"."name", "threads"."user_id", "threads"."user_identifier", "threads"."tags", "threads"."metadata", "threads"."version" FROM "threads" WHERE ("threads"."name" ILIKE $1 ESCAPE '\' OR EXISTS (SELECT 1 FROM "steps" WHERE "steps"."thread_id" = "threads"."id" AND ("steps"."input" ILIKE $2 ESCAPE '\' OR "steps"."output" ILIKE $3 ESCAPE '\'))) AND EXISTS (SELECT 1 FROM "feedbacks" WHERE "feedbacks"."thread_id" = "threads"."id" AND "feedbacks"."value" = $4) AND ("threads"."created_at" < $5 OR ("threads"."created_at" = $6 AND "threads"."id" < $7)) ORDER BY "threads"."created_at" DESC, "threads"."id" DESC LIMIT $8;
-- DeleteThread
SELECT "threads"."id", "threads"."created_at", "threads"."name", "threads"."user_id", "threads"."user_identifier", "threads"."tags", "threads"."metadata", "threads"."version" FROM "threads" WHERE "threads"."id" = $1 LIMIT $2 FOR UPDATE;
SAVEPOINT strata_sp_1;
DELETE FROM "threads" WHERE ("threads"."id" = $1 AND "threads"."version" = $2);
RELEASE SAVEPOINT strata_sp_1;
