import { createHmac, timingSafeEqual } from "node:crypto";

/** Where the evidence page is served, and the server secret that signs its links. */
export interface EvidenceLinkSettings {
  /** The app's public base URL, e.g. `https://countersign.example.com`. */
  publicUrl: string;
  /** The HMAC key: a server secret of at least 32 characters, never sent to GitHub or logged. */
  secret: string;
  /** How long a link stays valid. */
  ttlMs: number;
}

const DAY_MS = 86_400_000;

/** The page's path for a pull request (under Probot's router mount `/countersign`). */
export function evidencePath(repository: string, number: number): string {
  const [owner = "", name = ""] = repository.split("/");
  return `/countersign/evidence/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/${number}`;
}

function signature(settings: EvidenceLinkSettings, repository: string, number: number, expires: number): string {
  return createHmac("sha256", settings.secret).update(`countersign-evidence/1\n${repository.toLowerCase()}\n${number}\n${expires}`).digest("hex");
}

/**
 * A signed link to a pull request's evidence page. The expiry is rounded up to a whole day, so every
 * evaluation on the same day produces the same link (and the check run need not change because of it).
 */
export function signedEvidenceUrl(settings: EvidenceLinkSettings, repository: string, number: number, now: Date): string {
  const expires = Math.ceil((now.getTime() + settings.ttlMs) / DAY_MS) * DAY_MS;
  const url = new URL(evidencePath(repository, number), settings.publicUrl);
  url.searchParams.set("expires", String(expires));
  url.searchParams.set("signature", signature(settings, repository, number, expires));
  return url.toString();
}

/** Whether a request for `repository#number` carries a valid, unexpired signature. Constant-time. */
export function isValidEvidenceSignature(settings: EvidenceLinkSettings, repository: string, number: number, expires: unknown, given: unknown, now: Date): boolean {
  if (typeof expires !== "string" || typeof given !== "string" || !/^\d{1,15}$/.test(expires) || !/^[0-9a-f]{64}$/.test(given)) return false;
  const expiresAt = Number(expires);
  // Expired, or further in the future than any link this server issues: refuse.
  if (expiresAt <= now.getTime() || expiresAt > now.getTime() + settings.ttlMs + DAY_MS) return false;
  const expected = Buffer.from(signature(settings, repository, number, expiresAt), "hex");
  return timingSafeEqual(expected, Buffer.from(given, "hex"));
}
