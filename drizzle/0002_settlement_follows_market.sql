ALTER TABLE "wx"."settlement_consolidated" ALTER COLUMN "high_f" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "wx"."settlement_consolidated" ADD COLUMN "winning_market_ticker" text;--> statement-breakpoint
ALTER TABLE "wx"."settlement_consolidated" ADD COLUMN "kalshi_high_f" integer;--> statement-breakpoint
ALTER TABLE "wx"."settlement_consolidated" ADD COLUMN "weather_high_f" integer;--> statement-breakpoint
ALTER TABLE "wx"."settlement_consolidated" ADD COLUMN "weather_source" text;--> statement-breakpoint
ALTER TABLE "wx"."settlement_consolidated" ADD COLUMN "disagreements" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "wx"."settlement_consolidated" ADD COLUMN "available_at" timestamp with time zone;