CREATE TABLE "budget_reservations" (
	"id" text NOT NULL,
	"budget_id" text NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"amount_nanos" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "budget_reservations_id_budget_id_pk" PRIMARY KEY("id","budget_id")
);
--> statement-breakpoint
CREATE TABLE "budget_windows" (
	"budget_id" text NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"spent_nanos" bigint DEFAULT 0 NOT NULL,
	"reserved_nanos" bigint DEFAULT 0 NOT NULL,
	"alerted" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"exceeded_sent" boolean DEFAULT false NOT NULL,
	CONSTRAINT "budget_windows_budget_id_period_start_pk" PRIMARY KEY("budget_id","period_start")
);
--> statement-breakpoint
CREATE TABLE "budgets" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"scope" text NOT NULL,
	"scope_id" text,
	"limit_nanos" bigint NOT NULL,
	"period" text NOT NULL,
	"hard" boolean NOT NULL,
	"alert_at" jsonb NOT NULL,
	"source" text DEFAULT 'manual' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_prices" (
	"org_id" text NOT NULL,
	"model" text NOT NULL,
	"input_per_mtok" double precision NOT NULL,
	"cached_input_per_mtok" double precision NOT NULL,
	"output_per_mtok" double precision NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_prices_org_id_model_pk" PRIMARY KEY("org_id","model")
);
--> statement-breakpoint
CREATE TABLE "usage_rollups" (
	"org_id" text NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"model" text NOT NULL,
	"agent_id" text NOT NULL,
	"created_by" text NOT NULL,
	"calls" integer NOT NULL,
	"errors" integer NOT NULL,
	"input_tokens" bigint NOT NULL,
	"cached_input_tokens" bigint NOT NULL,
	"output_tokens" bigint NOT NULL,
	"cost_nanos" bigint NOT NULL,
	CONSTRAINT "usage_rollups_org_id_hour_model_agent_id_created_by_pk" PRIMARY KEY("org_id","hour","model","agent_id","created_by")
);
--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "created_by" text;--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "cached_input_tokens" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "cost_nanos" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_events" ADD COLUMN "error_message" text;--> statement-breakpoint
ALTER TABLE "inbox_items" ADD COLUMN "audience" text;--> statement-breakpoint
ALTER TABLE "budget_reservations" ADD CONSTRAINT "budget_reservations_budget_id_budgets_id_fk" FOREIGN KEY ("budget_id") REFERENCES "public"."budgets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budget_windows" ADD CONSTRAINT "budget_windows_budget_id_budgets_id_fk" FOREIGN KEY ("budget_id") REFERENCES "public"."budgets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_prices" ADD CONSTRAINT "model_prices_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_rollups" ADD CONSTRAINT "usage_rollups_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "budget_reservations_created_idx" ON "budget_reservations" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "budgets_org_idx" ON "budgets" USING btree ("org_id");--> statement-breakpoint
CREATE INDEX "usage_events_org_errors_idx" ON "usage_events" USING btree ("org_id","id") WHERE "usage_events"."outcome" = 'error';
--> statement-breakpoint
-- Past calls summed into the hourly rollups, so summaries and timelines include what came before.
INSERT INTO "usage_rollups" ("org_id", "hour", "model", "agent_id", "created_by", "calls", "errors", "input_tokens", "cached_input_tokens", "output_tokens", "cost_nanos")
SELECT "org_id", date_trunc('hour', "created_at"), "model", "agent_id", coalesce("created_by", ''), count(*)::int,
  (count(*) FILTER (WHERE "outcome" = 'error'))::int, sum("input_tokens"), 0, sum("output_tokens"), 0
FROM "usage_events" GROUP BY 1, 2, 3, 4, 5;--> statement-breakpoint
-- Reserves `p_amounts` on every budget window, all or none: each window is locked in the order given
-- (callers sort by budget id, so two calls never wait on each other in a circle), and only if every
-- one has room under its budget's limit (read here, never from a cache) is anything reserved. A budget
-- deleted meanwhile is passed over. Answers the first budget without room, or NULL.
CREATE OR REPLACE FUNCTION sb_reserve_budgets(p_reservation text, p_budgets text[], p_periods timestamptz[], p_amounts bigint[])
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  i integer;
  n integer := coalesce(array_length(p_budgets, 1), 0);
  lim bigint;
  room bigint;
  present boolean[] := array_fill(false, ARRAY[greatest(n, 1)]);
BEGIN
  FOR i IN 1 .. n LOOP
    SELECT b.limit_nanos INTO lim FROM budgets b WHERE b.id = p_budgets[i];
    CONTINUE WHEN NOT FOUND;
    present[i] := true;
    INSERT INTO budget_windows (budget_id, period_start) VALUES (p_budgets[i], p_periods[i]) ON CONFLICT DO NOTHING;
    SELECT lim - w.spent_nanos - w.reserved_nanos INTO room FROM budget_windows w
      WHERE w.budget_id = p_budgets[i] AND w.period_start = p_periods[i] FOR UPDATE;
    IF room < p_amounts[i] THEN
      RETURN p_budgets[i];
    END IF;
  END LOOP;
  FOR i IN 1 .. n LOOP
    CONTINUE WHEN NOT present[i];
    UPDATE budget_windows SET reserved_nanos = reserved_nanos + p_amounts[i]
      WHERE budget_id = p_budgets[i] AND period_start = p_periods[i];
    INSERT INTO budget_reservations (id, budget_id, period_start, amount_nanos)
      VALUES (p_reservation, p_budgets[i], p_periods[i], p_amounts[i]);
  END LOOP;
  RETURN NULL;
END $$;--> statement-breakpoint
-- Settles calls: each releases its reservation (if it had one and it was not swept) and adds what it
-- really cost. Answers every window's spending after it, for the alerts.
CREATE OR REPLACE FUNCTION sb_settle_budgets(p_reservations text[], p_budgets text[], p_periods timestamptz[], p_actuals bigint[])
RETURNS TABLE (out_budget_id text, out_period_start timestamptz, out_spent_nanos bigint) LANGUAGE plpgsql AS $$
DECLARE
  i integer;
  held bigint;
BEGIN
  FOR i IN 1 .. coalesce(array_length(p_budgets, 1), 0) LOOP
    held := NULL;
    IF p_reservations[i] IS NOT NULL THEN
      DELETE FROM budget_reservations r WHERE r.id = p_reservations[i] AND r.budget_id = p_budgets[i]
        RETURNING r.amount_nanos INTO held;
    END IF;
    INSERT INTO budget_windows AS w (budget_id, period_start, spent_nanos) VALUES (p_budgets[i], p_periods[i], p_actuals[i])
      ON CONFLICT (budget_id, period_start) DO UPDATE
        SET spent_nanos = w.spent_nanos + excluded.spent_nanos,
            reserved_nanos = greatest(w.reserved_nanos - coalesce(held, 0), 0)
      RETURNING w.budget_id, w.period_start, w.spent_nanos INTO out_budget_id, out_period_start, out_spent_nanos;
    RETURN NEXT;
  END LOOP;
END $$;--> statement-breakpoint
-- Releases reservations older than `p_before`: calls whose process died before settling them.
CREATE OR REPLACE FUNCTION sb_release_stale_reservations(p_before timestamptz)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  r record;
  n integer := 0;
BEGIN
  FOR r IN DELETE FROM budget_reservations WHERE created_at < p_before RETURNING budget_id, period_start, amount_nanos LOOP
    UPDATE budget_windows SET reserved_nanos = greatest(reserved_nanos - r.amount_nanos, 0)
      WHERE budget_id = r.budget_id AND period_start = r.period_start;
    n := n + 1;
  END LOOP;
  RETURN n;
END $$;
