-- CreateTable
CREATE TABLE "IssuedCredential" (
    "id" TEXT NOT NULL,
    "delegationId" TEXT NOT NULL,
    "repoId" BIGINT NOT NULL,
    "repoFullName" TEXT NOT NULL,
    "installationId" BIGINT NOT NULL,
    "tokenSha256" TEXT NOT NULL,
    "tokenHashedBase64" TEXT NOT NULL,
    "encryptedToken" TEXT,
    "permissions" TEXT NOT NULL,
    "workload" TEXT NOT NULL,
    "githubExpiresAt" TIMESTAMP(3) NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "issuedAt" TIMESTAMP(3) NOT NULL,
    "endedAs" TEXT,
    "endedAt" TIMESTAMP(3),

    CONSTRAINT "IssuedCredential_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "IssuedCredential_tokenSha256_key" ON "IssuedCredential"("tokenSha256");

-- CreateIndex
CREATE INDEX "IssuedCredential_delegationId_idx" ON "IssuedCredential"("delegationId");

-- CreateIndex
CREATE INDEX "IssuedCredential_expiresAt_endedAs_idx" ON "IssuedCredential"("expiresAt", "endedAs");
