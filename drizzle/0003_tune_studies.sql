ALTER TABLE "ml"."study" ADD COLUMN "space" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "ml"."study" ADD COLUMN "objective" jsonb;--> statement-breakpoint
ALTER TABLE "ml"."study" ADD COLUMN "pruner" jsonb;--> statement-breakpoint
ALTER TABLE "ml"."study" ADD COLUMN "requested_trials" integer;--> statement-breakpoint
ALTER TABLE "ml"."study" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "ml"."trial" ADD COLUMN "ask_key" text;--> statement-breakpoint
ALTER TABLE "ml"."trial" ADD COLUMN "attempt" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "ml"."trial" ADD COLUMN "error" text;--> statement-breakpoint
CREATE UNIQUE INDEX "trial_study_ask_key_idx" ON "ml"."trial" USING btree ("study_id","ask_key");