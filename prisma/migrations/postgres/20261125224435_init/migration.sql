-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Delegation" (
    "id" TEXT NOT NULL,
    "installationId" BIGINT,
    "repoId" BIGINT NOT NULL,
    "repoFullName" TEXT NOT NULL,
    "subjectType" TEXT NOT NULL,
    "subjectNumber" INTEGER NOT NULL,
    "ownerId" BIGINT NOT NULL,
    "ownerLogin" TEXT NOT NULL,
    "agentLogin" TEXT,
    "agentId" BIGINT,
    "taskKind" TEXT NOT NULL,
    "taskRef" TEXT NOT NULL,
    "taskUrl" TEXT,
    "scopePaths" TEXT NOT NULL DEFAULT '[]',
    "scopeBranches" TEXT NOT NULL DEFAULT '[]',
    "agentInventory" TEXT,
    "expiresAt" TIMESTAMP(3),
    "commentId" BIGINT NOT NULL,
    "commentUrl" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'active',
    "revokedAt" TIMESTAMP(3),
    "revokedById" BIGINT,
    "revokedByLogin" TEXT,
    "revokeReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Delegation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Decision" (
    "id" TEXT NOT NULL,
    "repoId" BIGINT NOT NULL,
    "repoFullName" TEXT NOT NULL,
    "prNumber" INTEGER,
    "headSha" TEXT NOT NULL,
    "conclusion" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "reasons" TEXT NOT NULL,
    "deliveryId" TEXT,
    "delegationId" TEXT,
    "checkRunId" BIGINT,
    "errorId" TEXT,
    "policyHash" TEXT,
    "policySource" TEXT,
    "evaluatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Decision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CheckRunRecord" (
    "repoId" BIGINT NOT NULL,
    "headSha" TEXT NOT NULL,
    "checkRunId" BIGINT NOT NULL,
    "prNumber" INTEGER,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CheckRunRecord_pkey" PRIMARY KEY ("repoId","headSha")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "seq" SERIAL NOT NULL,
    "type" TEXT NOT NULL,
    "repoId" BIGINT,
    "repoFullName" TEXT,
    "subjectNumber" INTEGER,
    "sha" TEXT,
    "actorId" BIGINT,
    "actorLogin" TEXT,
    "deliveryId" TEXT,
    "payload" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "hash" TEXT,
    "prevHash" TEXT,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "Delivery" (
    "id" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),
    "attempts" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "Delivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Delegation_repoId_subjectType_subjectNumber_status_idx" ON "Delegation"("repoId", "subjectType", "subjectNumber", "status");

-- CreateIndex
CREATE INDEX "Decision_repoId_prNumber_evaluatedAt_idx" ON "Decision"("repoId", "prNumber", "evaluatedAt");

-- CreateIndex
CREATE INDEX "Decision_repoId_headSha_idx" ON "Decision"("repoId", "headSha");

-- CreateIndex
CREATE INDEX "CheckRunRecord_repoId_prNumber_idx" ON "CheckRunRecord"("repoId", "prNumber");

-- CreateIndex
CREATE UNIQUE INDEX "AuditEvent_hash_key" ON "AuditEvent"("hash");

-- CreateIndex
CREATE UNIQUE INDEX "AuditEvent_prevHash_key" ON "AuditEvent"("prevHash");

-- CreateIndex
CREATE INDEX "AuditEvent_repoId_subjectNumber_idx" ON "AuditEvent"("repoId", "subjectNumber");

-- CreateIndex
CREATE INDEX "AuditEvent_type_idx" ON "AuditEvent"("type");

-- Countersign (hand-written): the audit log is append-only and every row is sealed into the hash
-- chain. The database refuses any UPDATE or DELETE of it, and any INSERT without a hash or with a
-- sequence number below 1, so altering history needs deliberate tampering (dropping these triggers),
-- which `countersign audit verify` then detects.
CREATE FUNCTION countersign_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'AuditEvent is append-only';
END;
$$;

CREATE TRIGGER "AuditEvent_no_update" BEFORE UPDATE ON "AuditEvent"
  FOR EACH ROW EXECUTE FUNCTION countersign_audit_append_only();

CREATE TRIGGER "AuditEvent_no_delete" BEFORE DELETE ON "AuditEvent"
  FOR EACH ROW EXECUTE FUNCTION countersign_audit_append_only();

CREATE FUNCTION countersign_audit_insert_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."hash" IS NULL OR NEW."prevHash" IS NULL OR NEW."seq" <= 0 THEN
    RAISE EXCEPTION 'AuditEvent rows must be sealed into the hash chain';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER "AuditEvent_insert_sealed" BEFORE INSERT ON "AuditEvent"
  FOR EACH ROW EXECUTE FUNCTION countersign_audit_insert_sealed();

CREATE TRIGGER "AuditEvent_no_truncate" BEFORE TRUNCATE ON "AuditEvent"
  FOR EACH STATEMENT EXECUTE FUNCTION countersign_audit_append_only();
