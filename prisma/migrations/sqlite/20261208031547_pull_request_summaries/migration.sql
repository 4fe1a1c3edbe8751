-- CreateTable
CREATE TABLE "PullRequestSummary" (
    "repoId" BIGINT NOT NULL,
    "prNumber" INTEGER NOT NULL,
    "org" TEXT NOT NULL,
    "repoFullName" TEXT NOT NULL,
    "firstAgentAt" DATETIME,
    "firstDay" DATETIME NOT NULL,
    "lastDay" DATETIME NOT NULL,
    "decisions" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "story" TEXT NOT NULL,

    PRIMARY KEY ("repoId", "prNumber")
);

-- CreateIndex
CREATE INDEX "PullRequestSummary_org_lastDay_idx" ON "PullRequestSummary"("org", "lastDay");
