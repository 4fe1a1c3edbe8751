-- CreateTable
CREATE TABLE "WorkloadTokenUse" (
    "issuer" TEXT NOT NULL,
    "jti" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WorkloadTokenUse_pkey" PRIMARY KEY ("issuer","jti")
);

-- CreateIndex
CREATE INDEX "WorkloadTokenUse_expiresAt_idx" ON "WorkloadTokenUse"("expiresAt");
