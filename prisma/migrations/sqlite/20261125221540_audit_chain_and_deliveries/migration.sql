-- AlterTable
ALTER TABLE "Delegation" ADD COLUMN "agentInventory" TEXT;

-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN "hash" TEXT;
ALTER TABLE "AuditEvent" ADD COLUMN "prevHash" TEXT;

-- CreateTable
CREATE TABLE "Delivery" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "event" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "receivedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME,
    "attempts" INTEGER NOT NULL DEFAULT 1
);

-- CreateIndex
CREATE UNIQUE INDEX "AuditEvent_hash_key" ON "AuditEvent"("hash");

-- CreateIndex
CREATE UNIQUE INDEX "AuditEvent_prevHash_key" ON "AuditEvent"("prevHash");

-- CreateIndex
CREATE INDEX "AuditEvent_type_idx" ON "AuditEvent"("type");

-- Countersign (hand-written): events written before this migration have no hash yet. They may be
-- sealed into the chain exactly once (hash and prevHash set from NULL, nothing else changed); a
-- sealed event can never be updated, and no event can be deleted.
DROP TRIGGER "AuditEvent_no_update";
CREATE TRIGGER "AuditEvent_no_update" BEFORE UPDATE ON "AuditEvent"
WHEN OLD."hash" IS NOT NULL
  OR NEW."hash" IS NULL
  OR NEW."seq" IS NOT OLD."seq"
  OR NEW."type" IS NOT OLD."type"
  OR NEW."repoId" IS NOT OLD."repoId"
  OR NEW."repoFullName" IS NOT OLD."repoFullName"
  OR NEW."subjectNumber" IS NOT OLD."subjectNumber"
  OR NEW."sha" IS NOT OLD."sha"
  OR NEW."actorId" IS NOT OLD."actorId"
  OR NEW."actorLogin" IS NOT OLD."actorLogin"
  OR NEW."deliveryId" IS NOT OLD."deliveryId"
  OR NEW."payload" IS NOT OLD."payload"
  OR NEW."createdAt" IS NOT OLD."createdAt"
BEGIN
  SELECT RAISE(ABORT, 'AuditEvent is append-only');
END;
