import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

// An issued token is kept only so that Countersign can revoke it, and only encrypted: AES-256-GCM
// with a key from the environment (never in the database), a fresh IV per token, the credential's
// id as associated data (a ciphertext moved to another row does not decrypt).

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The token's SHA-256 in hex, and in base64 (what GitHub's audit log shows as `hashed_token`). */
export function tokenHashes(token: string): { sha256: string; hashedToken: string } {
  const digest = createHash("sha256").update(token, "utf8").digest();
  return { sha256: digest.toString("hex"), hashedToken: digest.toString("base64") };
}

/** base64 of IV, ciphertext and tag. */
export function encryptToken(key: Buffer, token: string, credentialId: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(credentialId, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(token, "utf8"), cipher.final()]);
  return Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString("base64");
}

/** The token `encryptToken` sealed; throws when the key, the id or the ciphertext is wrong. */
export function decryptToken(key: Buffer, sealed: string, credentialId: string): string {
  const bytes = Buffer.from(sealed, "base64");
  const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(credentialId, "utf8"));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString("utf8");
}
