ALTER TABLE "run_events" DROP CONSTRAINT "run_events_run_id_runs_id_fk";
