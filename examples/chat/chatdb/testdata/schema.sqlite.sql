CREATE TABLE "users" (
	"id" UUID_TEXT NOT NULL,
	"identifier" VARCHAR(200) NOT NULL,
	"metadata" JSON_TEXT NOT NULL,
	"created_at" DATETIME NOT NULL,
	CONSTRAINT "pk_users" PRIMARY KEY ("id"),
	CONSTRAINT "uq_users_identifier" UNIQUE ("identifier")
);
CREATE TABLE "threads" (
	"id" UUID_TEXT NOT NULL,
	"created_at" DATETIME NOT NULL,
	"name" VARCHAR(255) NOT NULL,
	"user_id" UUID_TEXT,
	"user_identifier" VARCHAR(200) NOT NULL,
	"tags" JSON_TEXT_ARRAY_TEXT NOT NULL,
	"metadata" JSON_TEXT NOT NULL,
	"version" INTEGER NOT NULL,
	CONSTRAINT "pk_threads" PRIMARY KEY ("id"),
	CONSTRAINT "fk_threads_user_id_users" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX "ix_threads_created_at" ON "threads" ("created_at");
CREATE INDEX "ix_threads_user_id" ON "threads" ("user_id");
CREATE TABLE "steps" (
	"id" UUID_TEXT NOT NULL,
	"thread_id" UUID_TEXT NOT NULL,
	"parent_id" UUID_TEXT,
	"name" VARCHAR(255) NOT NULL,
	"type" VARCHAR(50) NOT NULL,
	"input" TEXT NOT NULL,
	"output" TEXT NOT NULL,
	"metadata" JSON_TEXT NOT NULL,
	"tags" JSON_TEXT_ARRAY_TEXT NOT NULL,
	"is_error" BOOLEAN NOT NULL,
	"created_at" DATETIME NOT NULL,
	"start_time" DATETIME,
	"end_time" DATETIME,
	CONSTRAINT "pk_steps" PRIMARY KEY ("id"),
	CONSTRAINT "fk_steps_thread_id_threads" FOREIGN KEY ("thread_id") REFERENCES "threads" ("id") ON DELETE CASCADE,
	CONSTRAINT "fk_steps_parent_id_steps" FOREIGN KEY ("parent_id") REFERENCES "steps" ("id") ON DELETE CASCADE
);
CREATE INDEX "ix_steps_thread_id" ON "steps" ("thread_id");
CREATE INDEX "ix_steps_parent_id" ON "steps" ("parent_id");
CREATE TABLE "elements" (
	"id" UUID_TEXT NOT NULL,
	"thread_id" UUID_TEXT NOT NULL,
	"for_id" UUID_TEXT,
	"type" VARCHAR(50) NOT NULL,
	"name" VARCHAR(255) NOT NULL,
	"mime" VARCHAR(100) NOT NULL,
	"display" VARCHAR(20) NOT NULL,
	"size" BIGINT NOT NULL,
	"object_key" VARCHAR(200) NOT NULL,
	"url" VARCHAR(2048) NOT NULL,
	CONSTRAINT "pk_elements" PRIMARY KEY ("id"),
	CONSTRAINT "fk_elements_thread_id_threads" FOREIGN KEY ("thread_id") REFERENCES "threads" ("id") ON DELETE CASCADE,
	CONSTRAINT "fk_elements_for_id_steps" FOREIGN KEY ("for_id") REFERENCES "steps" ("id") ON DELETE CASCADE
);
CREATE INDEX "ix_elements_thread_id" ON "elements" ("thread_id");
CREATE INDEX "ix_elements_for_id" ON "elements" ("for_id");
CREATE TABLE "feedbacks" (
	"id" UUID_TEXT NOT NULL,
	"for_id" UUID_TEXT NOT NULL,
	"thread_id" UUID_TEXT NOT NULL,
	"value" INTEGER NOT NULL,
	"comment" TEXT,
	CONSTRAINT "pk_feedbacks" PRIMARY KEY ("id"),
	CONSTRAINT "uq_feedbacks_for_id" UNIQUE ("for_id"),
	CONSTRAINT "fk_feedbacks_for_id_steps" FOREIGN KEY ("for_id") REFERENCES "steps" ("id") ON DELETE CASCADE,
	CONSTRAINT "fk_feedbacks_thread_id_threads" FOREIGN KEY ("thread_id") REFERENCES "threads" ("id") ON DELETE CASCADE
);
CREATE INDEX "ix_feedbacks_thread_id" ON "feedbacks" ("thread_id");
