-- AlterTable
ALTER TABLE "CheckRunRecord" ADD COLUMN "outputHash" TEXT;

-- CreateTable
CREATE TABLE "PullRequestState" (
    "repoId" BIGINT NOT NULL,
    "prNumber" INTEGER NOT NULL,
    "ticket" INTEGER NOT NULL DEFAULT 0,
    "published" INTEGER NOT NULL DEFAULT 0,
    "publishedSha" TEXT,
    "publishedOutput" TEXT,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("repoId", "prNumber")
);
