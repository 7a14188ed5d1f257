CREATE TABLE "fixes" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"issue_id" text NOT NULL,
	"issue_short_id" text NOT NULL,
	"project_id" text NOT NULL,
	"agent_id" text NOT NULL,
	"run_id" text,
	"status" text DEFAULT 'queued' NOT NULL,
	"instructions" text DEFAULT '' NOT NULL,
	"repository_path" text NOT NULL,
	"repository_branch" text NOT NULL,
	"base_commit" text NOT NULL,
	"release" text,
	"root_cause" text,
	"edits" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"diff" text,
	"files" text[] DEFAULT '{}'::text[] NOT NULL,
	"branch" text,
	"commit" text,
	"committed_at" timestamp with time zone,
	"verify_command" text[],
	"verify" jsonb,
	"error" jsonb,
	"requested_by" text NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"reject_reason" text,
	"inbox_item_id" text,
	"holding" boolean,
	"regressed_at" timestamp with time zone,
	"regressed_release" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "fixes" ADD CONSTRAINT "fixes_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "fixes_org_issue_idx" ON "fixes" USING btree ("org_id","issue_id","id");--> statement-breakpoint
CREATE INDEX "fixes_run_idx" ON "fixes" USING btree ("run_id");