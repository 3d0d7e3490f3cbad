-- Events: cluster events have no operation; every event names its cluster and the nodes involved.
ALTER TABLE "operation_events" ALTER COLUMN "operation_id" DROP NOT NULL;
ALTER TABLE "operation_events" ADD COLUMN "cluster_name" TEXT;
ALTER TABLE "operation_events" ADD COLUMN "nodes" JSONB;
UPDATE "operation_events" AS e SET "cluster_name" = o."cluster_name" FROM "operations" AS o WHERE o."id" = e."operation_id";

-- CreateIndex
CREATE INDEX "operation_events_cluster_name_id_idx" ON "operation_events"("cluster_name", "id");

-- CreateIndex
CREATE INDEX "operation_events_type_id_idx" ON "operation_events"("type", "id");

-- Healing policies of a cluster (null: none).
ALTER TABLE "clusters" ADD COLUMN "healing" JSONB;

-- CreateTable
CREATE TABLE "cluster_observations" (
    "cluster_id" UUID NOT NULL,
    "observed_at" TIMESTAMPTZ(3) NOT NULL,
    "observation" JSONB NOT NULL,
    "health" JSONB NOT NULL,

    CONSTRAINT "cluster_observations_pkey" PRIMARY KEY ("cluster_id")
);

-- CreateTable
CREATE TABLE "observer_leases" (
    "cluster_id" UUID NOT NULL,
    "owner" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "observer_leases_pkey" PRIMARY KEY ("cluster_id")
);

-- CreateTable
CREATE TABLE "webhooks" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "url" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "event_types" JSONB NOT NULL,
    "clusters" JSONB,
    "created_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhooks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_deliveries" (
    "id" BIGSERIAL NOT NULL,
    "webhook_id" UUID NOT NULL,
    "event_id" BIGINT NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "locked_by" TEXT,
    "lease_expires_at" TIMESTAMPTZ(3),
    "last_attempt_at" TIMESTAMPTZ(3),
    "last_status" INTEGER,
    "last_response" TEXT,
    "last_error" TEXT,
    "delivered_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "webhook_deliveries_webhook_id_status_id_idx" ON "webhook_deliveries"("webhook_id", "status", "id");

-- CreateIndex
CREATE INDEX "webhook_deliveries_status_next_attempt_at_idx" ON "webhook_deliveries"("status", "next_attempt_at");

-- AddForeignKey
ALTER TABLE "cluster_observations" ADD CONSTRAINT "cluster_observations_cluster_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "observer_leases" ADD CONSTRAINT "observer_leases_cluster_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_fkey" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "operation_events"("id") ON DELETE CASCADE ON UPDATE CASCADE;
