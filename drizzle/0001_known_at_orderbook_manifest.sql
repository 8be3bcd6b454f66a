-- Rows ingested before known-at stamps existed get their ingestion time: never earlier than the truth,
-- so no as-of join can leak them; a backfill re-run (the manifest is empty) restamps them properly.
CREATE TABLE "kalshi"."orderbook_snapshot" (
	"market_ticker" text NOT NULL,
	"captured_at" timestamp with time zone NOT NULL,
	"yes_price_micros" integer[] NOT NULL,
	"yes_size_centi" bigint[] NOT NULL,
	"no_price_micros" integer[] NOT NULL,
	"no_size_centi" bigint[] NOT NULL,
	"ingested_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "orderbook_snapshot_pk" PRIMARY KEY("market_ticker","captured_at")
);
--> statement-breakpoint
CREATE TABLE "wx"."ingest_manifest" (
	"city_id" text NOT NULL,
	"source" text NOT NULL,
	"month" date NOT NULL,
	"from_date" date NOT NULL,
	"to_date" date NOT NULL,
	"world_key" text NOT NULL,
	"rows" bigint NOT NULL,
	"completed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ingest_manifest_pk" PRIMARY KEY("city_id","source","month")
);
--> statement-breakpoint
ALTER TABLE "wx"."forecast_snapshot" ADD COLUMN "available_at" timestamp with time zone;--> statement-breakpoint
UPDATE "wx"."forecast_snapshot" SET "available_at" = "ingested_at";--> statement-breakpoint
ALTER TABLE "wx"."forecast_snapshot" ALTER COLUMN "available_at" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "wx"."forecast_snapshot_hourly" ADD COLUMN "available_at" timestamp with time zone;--> statement-breakpoint
UPDATE "wx"."forecast_snapshot_hourly" SET "available_at" = "ingested_at";--> statement-breakpoint
ALTER TABLE "wx"."forecast_snapshot_hourly" ALTER COLUMN "available_at" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "wx"."observation" ADD COLUMN "available_at" timestamp with time zone;--> statement-breakpoint
UPDATE "wx"."observation" SET "available_at" = "ingested_at";--> statement-breakpoint
ALTER TABLE "wx"."observation" ALTER COLUMN "available_at" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "wx"."settlement" ADD COLUMN "available_at" timestamp with time zone;--> statement-breakpoint
UPDATE "wx"."settlement" SET "available_at" = "ingested_at";--> statement-breakpoint
ALTER TABLE "wx"."settlement" ALTER COLUMN "available_at" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "forecast_snapshot_city_available_idx" ON "wx"."forecast_snapshot" USING btree ("city_id","available_at");