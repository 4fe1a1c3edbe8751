import { isUniqueViolation, type Store } from "./store.js";

// The replay guard for workloads' OIDC tokens: each token's `jti` is claimed once, in the database so
// that every replica sees it. Only the issuer and the `jti` are kept (never the token), until the
// token's own expiry, after which verification refuses it anyway.

/** A token to claim: who issued it, its `jti`, and when it expires. */
export interface WorkloadTokenClaim {
  issuer: string;
  jti: string;
  expiresAt: Date;
}

/**
 * Claims a token's `jti`: true the first time, false when it was claimed before (a replay). Claims of
 * tokens that have expired by `now` are forgotten first, so the table holds only live tokens.
 */
export async function claimWorkloadToken(db: Store, claim: WorkloadTokenClaim, now: Date): Promise<boolean> {
  await db.prisma.workloadTokenUse.deleteMany({ where: { expiresAt: { lt: now } } });
  try {
    await db.prisma.workloadTokenUse.create({ data: { issuer: claim.issuer, jti: claim.jti, expiresAt: claim.expiresAt, usedAt: now } });
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}
