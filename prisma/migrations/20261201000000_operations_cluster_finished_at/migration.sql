-- A read of a cluster asks whether an operation of it ended after its latest observation (the
-- observation a run stores right after its end), at every read.
CREATE INDEX "operations_cluster_id_finished_at_idx" ON "operations"("cluster_id", "finished_at");
