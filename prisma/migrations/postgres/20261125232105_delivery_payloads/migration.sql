-- AlterTable
ALTER TABLE "Delivery" ADD COLUMN     "payload" TEXT;

-- CreateIndex
CREATE INDEX "Delivery_status_receivedAt_idx" ON "Delivery"("status", "receivedAt");
