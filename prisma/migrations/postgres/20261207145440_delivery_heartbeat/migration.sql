-- AlterTable
ALTER TABLE "Delivery" ADD COLUMN     "heartbeatAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "Delivery_status_heartbeatAt_idx" ON "Delivery"("status", "heartbeatAt");
