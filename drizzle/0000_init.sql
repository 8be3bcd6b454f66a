CREATE SCHEMA "kalshi";
--> statement-breakpoint
CREATE SCHEMA "ml";
--> statement-breakpoint
CREATE SCHEMA "sim";
--> statement-breakpoint
CREATE SCHEMA "wx";
--> statement-breakpoint
CREATE TABLE "kalshi"."candle" (
	"market_ticker" text NOT NULL,
	"period_minutes" smallint NOT NULL,
	"bucket_start" timestamp with time zone NOT NULL,
	"yes_bid_open" integer,
	"yes_bid_high" integer,
	"yes_bid_low" integer,
	"yes_bid_close" integer,
	"yes_ask_open" integer,
	"yes_ask_high" integer,
	"yes_ask_low" integer,
	"yes_ask_close" integer,
	"price_open" integer,
	"price_high" integer,
	"price_low" integer,
	"price_close" integer,
	"price_mean" integer,
	"price_previous" integer,
	"volume" bigint DEFAULT 0 NOT NULL,
	"open_interest" bigint,
	"ingested_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "candle_pk" PRIMARY KEY("market_ticker","period_minutes","bucket_start"),
	CONSTRAINT "candle_period_minutes_check" CHECK ("kalshi"."candle"."period_minutes" in (1, 60, 1440))
);
--> statement-breakpoint
CREATE TABLE "kalshi"."event" (
	"event_ticker" text PRIMARY KEY NOT NULL,
	"series_ticker" text NOT NULL,
	"city_id" text NOT NULL,
	"event_date" date NOT NULL,
	"title" text,
	"sub_title" text,
	"mutually_exclusive" boolean,
	"strike_date" timestamp with time zone,
	"raw" jsonb,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "kalshi"."market" (
	"ticker" text PRIMARY KEY NOT NULL,
	"event_ticker" text NOT NULL,
	"series_ticker" text NOT NULL,
	"city_id" text NOT NULL,
	"event_date" date NOT NULL,
	"strike_type" text,
	"floor_strike" double precision,
	"cap_strike" double precision,
	"yes_sub_title" text,
	"open_time" timestamp with time zone,
	"close_time" timestamp with time zone,
	"expiration_time" timestamp with time zone,
	"latest_expiration_time" timestamp with time zone,
	"status" text,
	"result" text DEFAULT '' NOT NULL,
	"settlement_value_micros" integer,
	"expiration_value" text,
	"settlement_source" text,
	"settlement_ts" timestamp with time zone,
	"last_price_micros" integer,
	"yes_bid_micros" integer,
	"yes_ask_micros" integer,
	"volume" bigint,
	"open_interest" bigint,
	"payload_era" text,
	"raw" jsonb,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "kalshi"."series" (
	"ticker" text PRIMARY KEY NOT NULL,
	"city_id" text,
	"title" text,
	"category" text,
	"frequency" text,
	"fee_type" text,
	"fee_multiplier" double precision,
	"settlement_sources" jsonb,
	"raw" jsonb,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "kalshi"."trade" (
	"trade_id" text PRIMARY KEY NOT NULL,
	"market_ticker" text NOT NULL,
	"created_time" timestamp with time zone NOT NULL,
	"yes_price_micros" integer NOT NULL,
	"no_price_micros" integer,
	"count" integer NOT NULL,
	"taker_side" text,
	"is_block_trade" boolean,
	"ingested_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ml"."model_version" (
	"city_id" text NOT NULL,
	"kind" text NOT NULL,
	"version" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"metrics" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"artifact_path" text,
	"status" text DEFAULT 'candidate' NOT NULL,
	CONSTRAINT "model_version_pk" PRIMARY KEY("city_id","kind","version")
);
--> statement-breakpoint
CREATE TABLE "ml"."study" (
	"study_id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"direction" text NOT NULL,
	"sampler" jsonb,
	"status" text DEFAULT 'running' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"user_attrs" jsonb DEFAULT '{}'::jsonb NOT NULL,
	CONSTRAINT "study_name_key" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "ml"."trial" (
	"study_id" integer NOT NULL,
	"number" integer NOT NULL,
	"state" text NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"value" double precision,
	"intermediate_values" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"worker" text,
	"heartbeat_at" timestamp with time zone,
	CONSTRAINT "trial_pk" PRIMARY KEY("study_id","number"),
	CONSTRAINT "trial_state_check" CHECK ("ml"."trial"."state" in ('running', 'complete', 'pruned', 'fail'))
);
--> statement-breakpoint
CREATE TABLE "sim"."live_orders" (
	"client_order_id" text PRIMARY KEY NOT NULL,
	"exchange_order_id" text,
	"account" text NOT NULL,
	"mode" text NOT NULL,
	"strategy" text NOT NULL,
	"city_id" text NOT NULL,
	"event_date" date NOT NULL,
	"market_ticker" text NOT NULL,
	"side" text NOT NULL,
	"action" text NOT NULL,
	"price_micros" integer NOT NULL,
	"count" integer NOT NULL,
	"status" text NOT NULL,
	"filled_count" integer DEFAULT 0 NOT NULL,
	"avg_fill_price_micros" integer,
	"fee_micros" bigint DEFAULT 0 NOT NULL,
	"decision" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "live_orders_exchange_order_id_key" UNIQUE("exchange_order_id")
);
--> statement-breakpoint
CREATE TABLE "sim"."run" (
	"run_id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"strategy" text NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"metrics" jsonb,
	CONSTRAINT "run_kind_check" CHECK ("sim"."run"."kind" in ('backtest', 'paper', 'live', 'dry_run'))
);
--> statement-breakpoint
CREATE TABLE "sim"."trade" (
	"run_id" text NOT NULL,
	"trade_id" text NOT NULL,
	"city_id" text NOT NULL,
	"event_date" date NOT NULL,
	"market_ticker" text NOT NULL,
	"side" text NOT NULL,
	"action" text NOT NULL,
	"limit_price_micros" integer NOT NULL,
	"count" integer NOT NULL,
	"filled_count" integer DEFAULT 0 NOT NULL,
	"fill_price_micros" integer,
	"fee_micros" bigint DEFAULT 0 NOT NULL,
	"entry_time" timestamp with time zone,
	"exit_time" timestamp with time zone,
	"exit_price_micros" integer,
	"pnl_micros" bigint,
	"status" text NOT NULL,
	"decision" jsonb,
	CONSTRAINT "sim_trade_pk" PRIMARY KEY("run_id","trade_id")
);
--> statement-breakpoint
CREATE TABLE "wx"."city" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"zone" text NOT NULL,
	"standard_offset_minutes" integer NOT NULL,
	"station_icao" text NOT NULL,
	"series_ticker" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "wx"."data_flag" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "wx"."data_flag_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"table_name" text NOT NULL,
	"row_key" jsonb NOT NULL,
	"rule" text NOT NULL,
	"detail" text,
	"flagged_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "wx"."forecast_snapshot" (
	"city_id" text NOT NULL,
	"source" text NOT NULL,
	"model" text NOT NULL,
	"target_date" date NOT NULL,
	"basis_time" timestamp with time zone NOT NULL,
	"basis_date" date NOT NULL,
	"lead_days" integer NOT NULL,
	"tempmax_f" double precision,
	"tempmin_f" double precision,
	"temp_f" double precision,
	"feelslikemax_f" double precision,
	"dew_f" double precision,
	"humidity" double precision,
	"precip_in" double precision,
	"precip_prob" double precision,
	"snow_in" double precision,
	"windspeed_mph" double precision,
	"windgust_mph" double precision,
	"cloudcover" double precision,
	"pressure_mb" double precision,
	"conditions" text,
	"raw" jsonb,
	"ingested_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "forecast_snapshot_pk" PRIMARY KEY("city_id","source","model","target_date","basis_time")
);
--> statement-breakpoint
CREATE TABLE "wx"."forecast_snapshot_hourly" (
	"city_id" text NOT NULL,
	"source" text NOT NULL,
	"model" text NOT NULL,
	"basis_time" timestamp with time zone NOT NULL,
	"valid_time" timestamp with time zone NOT NULL,
	"temp_f" double precision,
	"dew_f" double precision,
	"humidity" double precision,
	"precip_in" double precision,
	"precip_prob" double precision,
	"windspeed_mph" double precision,
	"cloudcover" double precision,
	"ingested_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "forecast_snapshot_hourly_pk" PRIMARY KEY("city_id","source","model","basis_time","valid_time")
);
--> statement-breakpoint
CREATE TABLE "wx"."observation" (
	"station" text NOT NULL,
	"source" text NOT NULL,
	"observed_at" timestamp with time zone NOT NULL,
	"temp_f" double precision,
	"dewpoint_f" double precision,
	"relative_humidity" double precision,
	"wind_speed_mph" double precision,
	"wind_gust_mph" double precision,
	"wind_direction_deg" double precision,
	"pressure_mb" double precision,
	"sky_cover" text,
	"conditions" text,
	"quality_flags" jsonb,
	"ingested_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "observation_pk" PRIMARY KEY("station","source","observed_at")
);
--> statement-breakpoint
CREATE TABLE "wx"."settlement" (
	"city_id" text NOT NULL,
	"date" date NOT NULL,
	"source" text NOT NULL,
	"high_f" integer NOT NULL,
	"low_f" integer,
	"issued_at" timestamp with time zone,
	"is_preliminary" boolean DEFAULT false NOT NULL,
	"raw" jsonb,
	"ingested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "settlement_pk" PRIMARY KEY("city_id","date","source")
);
--> statement-breakpoint
CREATE TABLE "wx"."settlement_consolidated" (
	"city_id" text NOT NULL,
	"date" date NOT NULL,
	"high_f" integer NOT NULL,
	"source" text NOT NULL,
	"precedence" text[] NOT NULL,
	"disagreement" boolean DEFAULT false NOT NULL,
	"source_values" jsonb NOT NULL,
	"consolidated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "settlement_consolidated_pk" PRIMARY KEY("city_id","date")
);
--> statement-breakpoint
CREATE TABLE "wx"."station" (
	"icao" text PRIMARY KEY NOT NULL,
	"city_id" text NOT NULL,
	"name" text NOT NULL,
	"ghcn_id" text,
	"cli_site" text,
	"cli_issuedby" text,
	"lat" double precision NOT NULL,
	"lon" double precision NOT NULL,
	"elevation_m" double precision,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "ml"."trial" ADD CONSTRAINT "trial_study_id_study_study_id_fk" FOREIGN KEY ("study_id") REFERENCES "ml"."study"("study_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sim"."trade" ADD CONSTRAINT "trade_run_id_run_run_id_fk" FOREIGN KEY ("run_id") REFERENCES "sim"."run"("run_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "wx"."station" ADD CONSTRAINT "station_city_id_city_id_fk" FOREIGN KEY ("city_id") REFERENCES "wx"."city"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "event_series_idx" ON "kalshi"."event" USING btree ("series_ticker");--> statement-breakpoint
CREATE INDEX "event_city_date_idx" ON "kalshi"."event" USING btree ("city_id","event_date");--> statement-breakpoint
CREATE INDEX "market_event_idx" ON "kalshi"."market" USING btree ("event_ticker");--> statement-breakpoint
CREATE INDEX "market_city_date_idx" ON "kalshi"."market" USING btree ("city_id","event_date");--> statement-breakpoint
CREATE INDEX "market_series_date_idx" ON "kalshi"."market" USING btree ("series_ticker","event_date");--> statement-breakpoint
CREATE INDEX "trade_market_time_idx" ON "kalshi"."trade" USING btree ("market_ticker","created_time");--> statement-breakpoint
CREATE INDEX "model_version_city_kind_created_idx" ON "ml"."model_version" USING btree ("city_id","kind","created_at");--> statement-breakpoint
CREATE INDEX "trial_study_state_idx" ON "ml"."trial" USING btree ("study_id","state");--> statement-breakpoint
CREATE INDEX "live_orders_account_strategy_date_idx" ON "sim"."live_orders" USING btree ("account","strategy","event_date");--> statement-breakpoint
CREATE INDEX "live_orders_market_idx" ON "sim"."live_orders" USING btree ("market_ticker");--> statement-breakpoint
CREATE INDEX "live_orders_status_idx" ON "sim"."live_orders" USING btree ("status");--> statement-breakpoint
CREATE INDEX "run_strategy_started_idx" ON "sim"."run" USING btree ("strategy","started_at");--> statement-breakpoint
CREATE INDEX "sim_trade_city_date_idx" ON "sim"."trade" USING btree ("city_id","event_date");--> statement-breakpoint
CREATE INDEX "sim_trade_market_idx" ON "sim"."trade" USING btree ("market_ticker");--> statement-breakpoint
CREATE UNIQUE INDEX "data_flag_natural_key" ON "wx"."data_flag" USING btree ("table_name","row_key","rule");--> statement-breakpoint
CREATE INDEX "data_flag_table_rule_idx" ON "wx"."data_flag" USING btree ("table_name","rule");--> statement-breakpoint
CREATE INDEX "forecast_snapshot_city_target_idx" ON "wx"."forecast_snapshot" USING btree ("city_id","target_date");--> statement-breakpoint
CREATE INDEX "forecast_snapshot_city_basis_date_idx" ON "wx"."forecast_snapshot" USING btree ("city_id","basis_date");--> statement-breakpoint
CREATE INDEX "forecast_snapshot_hourly_city_valid_idx" ON "wx"."forecast_snapshot_hourly" USING btree ("city_id","valid_time");--> statement-breakpoint
CREATE INDEX "observation_station_time_idx" ON "wx"."observation" USING btree ("station","observed_at");--> statement-breakpoint
CREATE INDEX "settlement_date_idx" ON "wx"."settlement" USING btree ("date");--> statement-breakpoint
CREATE INDEX "station_city_idx" ON "wx"."station" USING btree ("city_id");