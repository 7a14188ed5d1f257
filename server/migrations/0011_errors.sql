CREATE TABLE "error_events" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"project_id" text NOT NULL,
	"issue_id" text NOT NULL,
	"event_id" text NOT NULL,
	"level" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"user_key" text,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "error_projects" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"ingest_id" bigint GENERATED ALWAYS AS IDENTITY (sequence name "error_projects_ingest_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"slug" text NOT NULL,
	"platform" text NOT NULL,
	"public_key" text NOT NULL,
	"repository_path" text,
	"repository_branch" text,
	"verify_command" text[],
	"rate_limit_per_minute" integer,
	"builtin" boolean DEFAULT false NOT NULL,
	"issue_counter" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "error_projects_ingest_id_unique" UNIQUE("ingest_id"),
	CONSTRAINT "error_projects_public_key_unique" UNIQUE("public_key")
);
--> statement-breakpoint
CREATE TABLE "error_raw_events" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "error_raw_events_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"org_id" text NOT NULL,
	"project_id" text NOT NULL,
	"event_id" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"payload" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "issue_users" (
	"org_id" text NOT NULL,
	"issue_id" text NOT NULL,
	"user_key" text NOT NULL,
	CONSTRAINT "issue_users_issue_id_user_key_pk" PRIMARY KEY("issue_id","user_key")
);
--> statement-breakpoint
CREATE TABLE "issues" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"project_id" text NOT NULL,
	"short_id" text NOT NULL,
	"fingerprint" text NOT NULL,
	"title" text NOT NULL,
	"culprit" text,
	"message" text DEFAULT '' NOT NULL,
	"level" text NOT NULL,
	"status" text DEFAULT 'unresolved' NOT NULL,
	"count" integer DEFAULT 0 NOT NULL,
	"user_count" integer DEFAULT 0 NOT NULL,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	"assignee_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "error_events" ADD CONSTRAINT "error_events_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "error_events" ADD CONSTRAINT "error_events_project_id_error_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."error_projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "error_events" ADD CONSTRAINT "error_events_issue_id_issues_id_fk" FOREIGN KEY ("issue_id") REFERENCES "public"."issues"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "error_projects" ADD CONSTRAINT "error_projects_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "error_raw_events" ADD CONSTRAINT "error_raw_events_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "error_raw_events" ADD CONSTRAINT "error_raw_events_project_id_error_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."error_projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "issue_users" ADD CONSTRAINT "issue_users_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "issue_users" ADD CONSTRAINT "issue_users_issue_id_issues_id_fk" FOREIGN KEY ("issue_id") REFERENCES "public"."issues"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "issues" ADD CONSTRAINT "issues_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "issues" ADD CONSTRAINT "issues_project_id_error_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."error_projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "error_events_issue_idx" ON "error_events" USING btree ("org_id","issue_id","id");--> statement-breakpoint
CREATE INDEX "error_events_org_received_idx" ON "error_events" USING btree ("org_id","received_at");--> statement-breakpoint
CREATE INDEX "error_projects_org_idx" ON "error_projects" USING btree ("org_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "error_projects_builtin_idx" ON "error_projects" USING btree ("org_id") WHERE "error_projects"."builtin";--> statement-breakpoint
CREATE INDEX "error_raw_events_project_idx" ON "error_raw_events" USING btree ("project_id");--> statement-breakpoint
CREATE UNIQUE INDEX "issues_project_fingerprint_idx" ON "issues" USING btree ("project_id","fingerprint");--> statement-breakpoint
CREATE INDEX "issues_org_last_seen_idx" ON "issues" USING btree ("org_id","last_seen","id");--> statement-breakpoint
CREATE INDEX "issues_org_first_seen_idx" ON "issues" USING btree ("org_id","first_seen","id");--> statement-breakpoint
CREATE INDEX "issues_org_count_idx" ON "issues" USING btree ("org_id","count","id");--> statement-breakpoint
CREATE INDEX "issues_org_status_idx" ON "issues" USING btree ("org_id","status");