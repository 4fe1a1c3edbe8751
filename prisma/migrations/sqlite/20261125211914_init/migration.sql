-- CreateTable
CREATE TABLE "Delegation" (
    "id" TEXT NOT NULL PRIMARY KEY,
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
    "expiresAt" DATETIME,
    "commentId" BIGINT NOT NULL,
    "commentUrl" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'active',
    "revokedAt" DATETIME,
    "revokedById" BIGINT,
    "revokedByLogin" TEXT,
    "revokeReason" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Decision" (
    "id" TEXT NOT NULL PRIMARY KEY,
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
    "evaluatedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "CheckRunRecord" (
    "repoId" BIGINT NOT NULL,
    "headSha" TEXT NOT NULL,
    "checkRunId" BIGINT NOT NULL,
    "prNumber" INTEGER,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("repoId", "headSha")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "seq" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "type" TEXT NOT NULL,
    "repoId" BIGINT,
    "repoFullName" TEXT,
    "subjectNumber" INTEGER,
    "sha" TEXT,
    "actorId" BIGINT,
    "actorLogin" TEXT,
    "deliveryId" TEXT,
    "payload" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
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
CREATE INDEX "AuditEvent_repoId_subjectNumber_idx" ON "AuditEvent"("repoId", "subjectNumber");

-- Countersign (hand-written): the audit log is append-only. Any UPDATE or DELETE is refused by the
-- database itself, so altering history needs deliberate tampering (dropping the trigger), which the
-- hash chain added later makes detectable.
CREATE TRIGGER "AuditEvent_no_update" BEFORE UPDATE ON "AuditEvent"
BEGIN
  SELECT RAISE(ABORT, 'AuditEvent is append-only');
END;

CREATE TRIGGER "AuditEvent_no_delete" BEFORE DELETE ON "AuditEvent"
BEGIN
  SELECT RAISE(ABORT, 'AuditEvent is append-only');
END;
