-- CreateTable
CREATE TABLE "WorkloadTokenUse" (
    "issuer" TEXT NOT NULL,
    "jti" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("issuer", "jti")
);

-- CreateIndex
CREATE INDEX "WorkloadTokenUse_expiresAt_idx" ON "WorkloadTokenUse"("expiresAt");
