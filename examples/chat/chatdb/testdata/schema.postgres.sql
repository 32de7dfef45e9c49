CREATE TABLE "users" (
	"id" uuid NOT NULL,
	"identifier" varchar(200) NOT NULL,
	"metadata" jsonb NOT NULL,
	"created_at" timestamptz NOT NULL,
	CONSTRAINT "pk_users" PRIMARY KEY ("id"),
	CONSTRAINT "uq_users_identifier" UNIQUE ("identifier")
);
CREATE TABLE "threads" (
	"id" uuid NOT NULL,
	"created_at" timestamptz NOT NULL,
	"name" varchar(255) NOT NULL,
	"user_id" uuid,
	"user_identifier" varchar(200) NOT NULL,
	"tags" text[] NOT NULL,
	"metadata" jsonb NOT NULL,
	"version" integer NOT NULL,
	CONSTRAINT "pk_threads" PRIMARY KEY ("id"),
	CONSTRAINT "fk_threads_user_id_users" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX "ix_threads_created_at" ON "threads" ("created_at");
CREATE INDEX "ix_threads_user_id" ON "threads" ("user_id");
CREATE TABLE "steps" (
	"id" uuid NOT NULL,
	"thread_id" uuid NOT NULL,
	"parent_id" uuid,
	"name" varchar(255) NOT NULL,
	"type" varchar(50) NOT NULL,
	"input" text NOT NULL,
	"output" text NOT NULL,
	"metadata" jsonb NOT NULL,
	"tags" text[] NOT NULL,
	"is_error" boolean NOT NULL,
	"created_at" timestamptz NOT NULL,
	"start_time" timestamptz,
	"end_time" timestamptz,
	CONSTRAINT "pk_steps" PRIMARY KEY ("id"),
	CONSTRAINT "fk_steps_thread_id_threads" FOREIGN KEY ("thread_id") REFERENCES "threads" ("id") ON DELETE CASCADE,
	CONSTRAINT "fk_steps_parent_id_steps" FOREIGN KEY ("parent_id") REFERENCES "steps" ("id") ON DELETE CASCADE
);
CREATE INDEX "ix_steps_thread_id" ON "steps" ("thread_id");
CREATE INDEX "ix_steps_parent_id" ON "steps" ("parent_id");
CREATE TABLE "elements" (
	"id" uuid NOT NULL,
	"thread_id" uuid NOT NULL,
	"for_id" uuid,
	"type" varchar(50) NOT NULL,
	"name" varchar(255) NOT NULL,
	"mime" varchar(100) NOT NULL,
	"display" varchar(20) NOT NULL,
	"size" bigint NOT NULL,
	"object_key" varchar(200) NOT NULL,
	"url" varchar(2048) NOT NULL,
	CONSTRAINT "pk_elements" PRIMARY KEY ("id"),
	CONSTRAINT "fk_elements_thread_id_threads" FOREIGN KEY ("thread_id") REFERENCES "threads" ("id") ON DELETE CASCADE,
	CONSTRAINT "fk_elements_for_id_steps" FOREIGN KEY ("for_id") REFERENCES "steps" ("id") ON DELETE CASCADE
);
CREATE INDEX "ix_elements_thread_id" ON "elements" ("thread_id");
CREATE INDEX "ix_elements_for_id" ON "elements" ("for_id");
CREATE TABLE "feedbacks" (
	"id" uuid NOT NULL,
	"for_id" uuid NOT NULL,
	"thread_id" uuid NOT NULL,
	"value" integer NOT NULL,
	"comment" text,
	CONSTRAINT "pk_feedbacks" PRIMARY KEY ("id"),
	CONSTRAINT "uq_feedbacks_for_id" UNIQUE ("for_id"),
	CONSTRAINT "fk_feedbacks_for_id_steps" FOREIGN KEY ("for_id") REFERENCES "steps" ("id") ON DELETE CASCADE,
	CONSTRAINT "fk_feedbacks_thread_id_threads" FOREIGN KEY ("thread_id") REFERENCES "threads" ("id") ON DELETE CASCADE
);
CREATE INDEX "ix_feedbacks_thread_id" ON "feedbacks" ("thread_id");
