-- AlterTable
ALTER TABLE "Delivery" ADD COLUMN "heartbeatAt" DATETIME;

-- CreateIndex
CREATE INDEX "Delivery_status_heartbeatAt_idx" ON "Delivery"("status", "heartbeatAt");
