-- AlterTable
ALTER TABLE "AgentPush" ADD COLUMN     "credentials" TEXT;
