-- CreateTable
CREATE TABLE "PullRequestSummary" (
    "repoId" BIGINT NOT NULL,
    "prNumber" INTEGER NOT NULL,
    "org" TEXT NOT NULL,
    "repoFullName" TEXT NOT NULL,
    "firstAgentAt" TIMESTAMP(3),
    "firstDay" TIMESTAMP(3) NOT NULL,
    "lastDay" TIMESTAMP(3) NOT NULL,
    "decisions" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "story" TEXT NOT NULL,

    CONSTRAINT "PullRequestSummary_pkey" PRIMARY KEY ("repoId","prNumber")
);

-- CreateIndex
CREATE INDEX "PullRequestSummary_org_lastDay_idx" ON "PullRequestSummary"("org", "lastDay");
