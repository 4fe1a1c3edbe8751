-- AlterTable
ALTER TABLE "Decision" ADD COLUMN "policyHash" TEXT;
ALTER TABLE "Decision" ADD COLUMN "policySource" TEXT;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Delegation" (
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
    "scopeBranches" TEXT NOT NULL DEFAULT '[]',
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
INSERT INTO "new_Delegation" ("agentId", "agentLogin", "commentId", "commentUrl", "createdAt", "expiresAt", "id", "installationId", "ownerId", "ownerLogin", "repoFullName", "repoId", "revokeReason", "revokedAt", "revokedById", "revokedByLogin", "scopePaths", "status", "subjectNumber", "subjectType", "taskKind", "taskRef", "taskUrl", "updatedAt") SELECT "agentId", "agentLogin", "commentId", "commentUrl", "createdAt", "expiresAt", "id", "installationId", "ownerId", "ownerLogin", "repoFullName", "repoId", "revokeReason", "revokedAt", "revokedById", "revokedByLogin", "scopePaths", "status", "subjectNumber", "subjectType", "taskKind", "taskRef", "taskUrl", "updatedAt" FROM "Delegation";
DROP TABLE "Delegation";
ALTER TABLE "new_Delegation" RENAME TO "Delegation";
CREATE INDEX "Delegation_repoId_subjectType_subjectNumber_status_idx" ON "Delegation"("repoId", "subjectType", "subjectNumber", "status");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
