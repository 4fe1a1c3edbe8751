-- CreateTable
CREATE TABLE "ContentText" (
    "hash" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "bytes" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ContentText_pkey" PRIMARY KEY ("hash")
);

-- CreateTable
CREATE TABLE "AuditCheckpoint" (
    "treeSize" INTEGER NOT NULL,
    "rootHash" TEXT NOT NULL,
    "headHash" TEXT NOT NULL,
    "note" TEXT NOT NULL,
    "keyId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditCheckpoint_pkey" PRIMARY KEY ("treeSize")
);
