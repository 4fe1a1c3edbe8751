-- CreateTable
CREATE TABLE "AgentPush" (
    "id" TEXT NOT NULL,
    "repoId" BIGINT NOT NULL,
    "repoFullName" TEXT NOT NULL,
    "branch" TEXT NOT NULL,
    "prNumber" INTEGER,
    "beforeSha" TEXT NOT NULL,
    "afterSha" TEXT NOT NULL,
    "forced" BOOLEAN NOT NULL DEFAULT false,
    "pusherId" BIGINT,
    "pusherLogin" TEXT NOT NULL,
    "identity" TEXT NOT NULL,
    "commits" TEXT NOT NULL DEFAULT '[]',
    "source" TEXT NOT NULL,
    "deliveryId" TEXT,
    "pushedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AgentPush_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AgentPush_repoId_branch_idx" ON "AgentPush"("repoId", "branch");

-- CreateIndex
CREATE INDEX "AgentPush_repoId_prNumber_idx" ON "AgentPush"("repoId", "prNumber");

-- CreateIndex
CREATE UNIQUE INDEX "AgentPush_repoId_branch_afterSha_pusherLogin_key" ON "AgentPush"("repoId", "branch", "afterSha", "pusherLogin");
