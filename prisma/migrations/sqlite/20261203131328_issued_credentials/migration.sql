-- CreateTable
CREATE TABLE "IssuedCredential" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "delegationId" TEXT NOT NULL,
    "repoId" BIGINT NOT NULL,
    "repoFullName" TEXT NOT NULL,
    "installationId" BIGINT NOT NULL,
    "tokenSha256" TEXT NOT NULL,
    "tokenHashedBase64" TEXT NOT NULL,
    "encryptedToken" TEXT,
    "permissions" TEXT NOT NULL,
    "workload" TEXT NOT NULL,
    "githubExpiresAt" DATETIME NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "issuedAt" DATETIME NOT NULL,
    "endedAs" TEXT,
    "endedAt" DATETIME
);

-- CreateIndex
CREATE UNIQUE INDEX "IssuedCredential_tokenSha256_key" ON "IssuedCredential"("tokenSha256");

-- CreateIndex
CREATE INDEX "IssuedCredential_delegationId_idx" ON "IssuedCredential"("delegationId");

-- CreateIndex
CREATE INDEX "IssuedCredential_expiresAt_endedAs_idx" ON "IssuedCredential"("expiresAt", "endedAs");
