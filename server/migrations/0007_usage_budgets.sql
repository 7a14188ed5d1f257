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
-- Reserves room on every budget window, all or none: at least `p_needed` on each (else it answers the
-- first budget without room, and nothing is reserved), and up to `p_wanted` where the window has room
-- to spare, so a process can admit its next calls without a round trip (a lease). Near the limit a
-- grant shrinks to what the call needs: beyond that, it takes at most a sixteenth of the room left.
-- Each window is locked in the order given (callers sort by budget id, so two calls never wait on each
-- other in a circle), and the limit is read here, never from a cache. A budget deleted meanwhile is
-- passed over (granted 0). A reservation row adds up what one lease holds on one budget; its time is
-- that of its latest grant.
-- Its transaction commits without waiting for the WAL flush (synchronous_commit off, for this
-- transaction only): a reservation sits on the path of model calls, and a disk flush there costs
-- milliseconds. Locks and visibility are unchanged, so concurrent calls still never pass a limit; only a
-- crash of PostgreSQL itself can lose the last reservations made, each with its window's hold.
CREATE OR REPLACE FUNCTION sb_reserve_budgets(p_reservations text[], p_budgets text[], p_periods timestamptz[], p_needed bigint[], p_wanted bigint[])
RETURNS TABLE (out_failed text, out_granted bigint[]) LANGUAGE plpgsql AS $$
DECLARE
  i integer;
  n integer := coalesce(array_length(p_budgets, 1), 0);
  lim bigint;
  room bigint;
  granted bigint[] := array_fill(0::bigint, ARRAY[greatest(n, 1)]);
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  FOR i IN 1 .. n LOOP
    SELECT b.limit_nanos INTO lim FROM budgets b WHERE b.id = p_budgets[i];
    CONTINUE WHEN NOT FOUND;
    INSERT INTO budget_windows (budget_id, period_start) VALUES (p_budgets[i], p_periods[i]) ON CONFLICT DO NOTHING;
    SELECT lim - w.spent_nanos - w.reserved_nanos INTO room FROM budget_windows w
      WHERE w.budget_id = p_budgets[i] AND w.period_start = p_periods[i] FOR UPDATE;
    IF room < p_needed[i] THEN
      out_failed := p_budgets[i];
      RETURN NEXT;
      RETURN;
    END IF;
    granted[i] := greatest(p_needed[i], least(p_wanted[i], room / 16));
  END LOOP;
  FOR i IN 1 .. n LOOP
    CONTINUE WHEN granted[i] = 0;
    UPDATE budget_windows SET reserved_nanos = reserved_nanos + granted[i]
      WHERE budget_id = p_budgets[i] AND period_start = p_periods[i];
    INSERT INTO budget_reservations AS r (id, budget_id, period_start, amount_nanos)
      VALUES (p_reservations[i], p_budgets[i], p_periods[i], granted[i])
      ON CONFLICT (id, budget_id) DO UPDATE SET amount_nanos = r.amount_nanos + excluded.amount_nanos, created_at = now();
  END LOOP;
  out_granted := granted[1:n];
  RETURN NEXT;
END $$;--> statement-breakpoint
-- Settles a batch: each item adds what a call really cost (`p_spent`) and gives back `p_release` of
-- what its reservation held (a call's cost, or the rest of a lease); a reservation that holds nothing
-- more is deleted, and one already swept releases nothing. Each window is updated once, in key order.
-- Answers every window's spending after it, for the alerts. Commits without waiting for the WAL flush,
-- as reservations do: its locks are on the path of the next reservation.
CREATE OR REPLACE FUNCTION sb_settle_budgets(p_reservations text[], p_budgets text[], p_periods timestamptz[], p_spent bigint[], p_release bigint[])
RETURNS TABLE (out_budget_id text, out_period_start timestamptz, out_spent_nanos bigint) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  -- Windows first, in key order, then reservations: the order reservations take their locks in.
  PERFORM 1 FROM budget_windows w
    JOIN (SELECT DISTINCT x.bid, x.ps FROM unnest(p_budgets, p_periods) AS x(bid, ps)) k
      ON w.budget_id = k.bid AND w.period_start = k.ps
    ORDER BY w.budget_id, w.period_start FOR UPDATE OF w;
  RETURN QUERY
  WITH items AS (
    SELECT * FROM unnest(p_reservations, p_budgets, p_periods, p_spent, p_release) AS x(rid, bid, ps, spent, release)
  ), asked AS (
    SELECT i.rid, i.bid, sum(i.release)::bigint AS amount FROM items i WHERE i.rid IS NOT NULL GROUP BY i.rid, i.bid
  ), kept AS (
    -- A reservation already swept releases nothing. A lease is granted room for 30 seconds at most and
    -- swept 15 minutes after its last grant, so a swept reservation is never made again.
    UPDATE budget_reservations r SET amount_nanos = greatest(r.amount_nanos - a.amount, 0)
      FROM asked a WHERE r.id = a.rid AND r.budget_id = a.bid
      RETURNING r.budget_id AS bid, r.period_start AS ps, a.amount AS released
  ), held AS (
    SELECT k.bid, k.ps, sum(k.released)::bigint AS amount FROM kept k GROUP BY k.bid, k.ps
  ), spent AS (
    SELECT i.bid, i.ps, sum(i.spent)::bigint AS amount FROM items i GROUP BY i.bid, i.ps
  )
  INSERT INTO budget_windows AS w (budget_id, period_start, spent_nanos)
    SELECT s.bid, s.ps, s.amount FROM spent s JOIN budgets b ON b.id = s.bid ORDER BY s.bid, s.ps
    ON CONFLICT (budget_id, period_start) DO UPDATE
      SET spent_nanos = w.spent_nanos + excluded.spent_nanos,
          reserved_nanos = greatest(w.reserved_nanos - coalesce((SELECT h.amount FROM held h
            WHERE h.bid = excluded.budget_id AND h.ps = excluded.period_start), 0), 0)
    RETURNING w.budget_id, w.period_start, w.spent_nanos;
  DELETE FROM budget_reservations r
    WHERE r.amount_nanos <= 0 AND r.id = ANY (p_reservations);
END $$;--> statement-breakpoint
-- Releases reservations older than `p_before`: calls whose process died before settling them (and
-- leases it held). Windows are locked before reservations, as everywhere.
CREATE OR REPLACE FUNCTION sb_release_stale_reservations(p_before timestamptz)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  r record;
  n integer := 0;
BEGIN
  PERFORM 1 FROM budget_windows w
    JOIN (SELECT DISTINCT s.budget_id, s.period_start FROM budget_reservations s WHERE s.created_at < p_before) k
      ON w.budget_id = k.budget_id AND w.period_start = k.period_start
    ORDER BY w.budget_id, w.period_start FOR UPDATE OF w;
  FOR r IN DELETE FROM budget_reservations WHERE created_at < p_before RETURNING budget_id, period_start, amount_nanos LOOP
    UPDATE budget_windows SET reserved_nanos = greatest(reserved_nanos - r.amount_nanos, 0)
      WHERE budget_id = r.budget_id AND period_start = r.period_start;
    n := n + 1;
  END LOOP;
  RETURN n;
END $$;
