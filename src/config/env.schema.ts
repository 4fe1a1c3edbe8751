import { z } from "zod";
import { parseSignerKey, parseVerifierKey, type CheckpointSigner, type CheckpointVerifier } from "../audit/checkpoint.js";
import { databaseUrlProblem } from "./database-url.js";

// Countersign's own settings. Probot reads its standard variables itself (APP_ID, PRIVATE_KEY,
// WEBHOOK_SECRET, GHE_HOST, GHE_PROTOCOL, PORT, HOST, LOG_LEVEL, ...); these are validated at start-up
// so that a mistake is named before the first webhook arrives.
export const envSchema = z.object({
  /** Probot's own variable, read here too so the app can recognise its own comments. */
  APP_ID: z.preprocess((value) => (value === "" ? undefined : value), z.coerce.number().int().positive().optional()),
  /** `file:./data/countersign.db` (SQLite, the default) or `postgres://…`; any other scheme is refused. */
  DATABASE_URL: z
    .string()
    .min(1)
    .default("file:./data/countersign.db")
    .superRefine((url, ctx) => {
      const problem = databaseUrlProblem(url);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
  /** How long a reviewer's repository permission and team memberships are trusted before they are read again. */
  COUNTERSIGN_PERMISSION_TTL_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  /** How long the setup doctor's finding (is the check required on a branch?) is trusted. */
  COUNTERSIGN_SETUP_CHECK_TTL_SECONDS: z.coerce.number().int().min(0).max(86400).default(600),
  /** The app's public base URL (https://…), for links to the evidence page. */
  COUNTERSIGN_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** The server secret that signs evidence-page links (at least 32 characters). */
  COUNTERSIGN_EVIDENCE_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  /** How long an evidence link stays valid, in days. */
  COUNTERSIGN_EVIDENCE_LINK_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /** How often expired delegations are looked for, so their PRs block again without waiting for an event. */
  COUNTERSIGN_EXPIRY_SWEEP_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  /**
   * How long one GitHub request may take before it is abandoned (the evaluation then fails closed and
   * is tried again): without it, a request GitHub never answers waits five minutes.
   */
  COUNTERSIGN_GITHUB_TIMEOUT_SECONDS: z.coerce.number().min(1).max(300).default(10),
  /**
   * The first wait before an evaluation that could not finish (GitHub failing, timing out, or the
   * database) is tried again; each further try waits twice as long, up to 5 minutes.
   */
  COUNTERSIGN_RETRY_MIN_SECONDS: z.coerce.number().min(0.1).max(300).default(5),
  /**
   * How long a delivery in progress may go without a heartbeat from its process (renewed four times
   * as often) before another replica takes it over: what a killed replica's deliveries wait.
   */
  COUNTERSIGN_DELIVERY_LEASE_SECONDS: z.coerce.number().int().min(2).max(3600).default(60),
  /** How many accepted deliveries a process holds in memory; beyond it they wait in the database. */
  COUNTERSIGN_MAX_DELIVERIES_IN_MEMORY: z.coerce.number().int().min(1).max(100_000).default(1000),
  /**
   * The credential app's id (docs/credentials.md): the second GitHub App, which mints agents' tokens.
   * With its private key and the token key, `POST /countersign/credentials` is configured.
   */
  COUNTERSIGN_CREDENTIAL_APP_ID: z.preprocess((value) => (value === "" ? undefined : value), z.coerce.number().int().positive().optional()),
  /** The credential app's private key (PEM; `\n` escapes are accepted, as Probot accepts them for PRIVATE_KEY). */
  COUNTERSIGN_CREDENTIAL_APP_PRIVATE_KEY: z
    .string()
    .transform((text) => text.replace(/\\n/g, "\n"))
    .refine((text) => /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text), "not a PEM private key")
    .optional(),
  /**
   * 32 random bytes, base64: the AES-256-GCM key that keeps issued tokens encrypted until they are
   * revoked or expire (never stored in the database).
   */
  COUNTERSIGN_CREDENTIAL_TOKEN_KEY: z
    .string()
    .refine((text) => /^[A-Za-z0-9+/]{43}=$/.test(text) && Buffer.from(text, "base64").length === 32, "must be 32 bytes, base64 (openssl rand -base64 32)")
    .optional(),
  /**
   * The credential app's slug (its bot pushes as `<slug>[bot]`): optional, read from `GET /app` when
   * unset; when set, that bot is an agent identity even while GitHub cannot be asked.
   */
  COUNTERSIGN_CREDENTIAL_APP_SLUG: z.preprocess((value) => (value === "" ? undefined : value), z.string().regex(/^[a-z0-9][a-z0-9-]{0,33}$/, "not a GitHub App slug").optional()),
  /** Credential requests accepted per issuer per minute (all issuers together: ten times as many). */
  COUNTERSIGN_CREDENTIALS_RATE_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(60),
  /** How often issued credentials are checked for their end (effective expiry, delegation ended): a revocation lags its trigger by at most this. */
  COUNTERSIGN_CREDENTIAL_SWEEP_SECONDS: z.coerce.number().int().min(1).max(300).default(15),
  /**
   * The Ed25519 key that signs audit-log checkpoints (docs/audit.md), `PRIVATE+KEY+<name>+<id>+<key>`
   * as `countersign audit checkpoint-key` makes it. Without it no checkpoint is signed.
   */
  COUNTERSIGN_CHECKPOINT_KEY: z.preprocess((value) => (value === "" ? undefined : value), z.string().optional()),
  /** Public keys of rotated-out checkpoint keys (`<name>+<id>+<key>`, separated by spaces, commas or newlines): old checkpoints stay verifiable. */
  COUNTERSIGN_CHECKPOINT_RETIRED_KEYS: z.preprocess((value) => (value === "" ? undefined : value), z.string().optional()),
  /** How often the audit log's head is signed (when it has moved). */
  COUNTERSIGN_CHECKPOINT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  /** How often the dashboard's pull request summaries are checked against the stored decisions (and any out of step rebuilt), besides at start. */
  COUNTERSIGN_SUMMARY_CHECK_SECONDS: z.coerce.number().int().min(1).max(86_400).default(600),
  /**
   * The GitHub App's OAuth client id (Probot's standard name; the setup page writes it): with its
   * secret, the organization dashboard's "Sign in with GitHub" (docs/dashboard.md).
   */
  GITHUB_CLIENT_ID: z.preprocess((value) => (value === "" ? undefined : value), z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "not a GitHub App client id (Iv1.… or Iv23…)").optional()),
  /** The GitHub App's OAuth client secret, which exchanges a sign-in code for the person's token. */
  GITHUB_CLIENT_SECRET: z.preprocess((value) => (value === "" ? undefined : value), z.string().regex(/^[\x21-\x7e]{8,255}$/, "not a GitHub App client secret (8 to 255 printable characters, no spaces)").optional()),
});

export type CountersignEnv = z.infer<typeof envSchema>;

/** The evidence page's link settings: both the public URL and the secret, or neither. */
export function evidenceSettings(env: CountersignEnv): { publicUrl: string; secret: string; ttlMs: number } | null {
  if (!env.COUNTERSIGN_PUBLIC_URL && !env.COUNTERSIGN_EVIDENCE_SECRET) return null;
  if (!env.COUNTERSIGN_PUBLIC_URL || !env.COUNTERSIGN_EVIDENCE_SECRET) {
    throw new Error(`Invalid Countersign environment: the evidence page needs both COUNTERSIGN_PUBLIC_URL and COUNTERSIGN_EVIDENCE_SECRET (${env.COUNTERSIGN_PUBLIC_URL ? "COUNTERSIGN_EVIDENCE_SECRET" : "COUNTERSIGN_PUBLIC_URL"} is missing)`);
  }
  return { publicUrl: env.COUNTERSIGN_PUBLIC_URL, secret: env.COUNTERSIGN_EVIDENCE_SECRET, ttlMs: env.COUNTERSIGN_EVIDENCE_LINK_DAYS * 86_400_000 };
}

/** The organization dashboard's sign-in settings (docs/dashboard.md). */
export interface DashboardSettings {
  clientId: string;
  clientSecret: string;
  /** The app's public base URL: the OAuth callback is under it, and cookies are Secure when it is https. */
  publicUrl: string;
  /** The evidence secret, from which the session and OAuth-state keys are derived (each with its own label). */
  secret: string;
}

/**
 * The dashboard's settings, or why it is off: it needs the app's OAuth client (GITHUB_CLIENT_ID and
 * GITHUB_CLIENT_SECRET) and the evidence page's public URL and secret (its links point there, its
 * callback is under the URL and its cookies are signed with keys derived from the secret). Half an
 * OAuth client is a mistake, named at start-up.
 */
export function dashboardSettings(env: CountersignEnv): { on: true; settings: DashboardSettings } | { on: false; reason: string } {
  if (!env.GITHUB_CLIENT_ID && !env.GITHUB_CLIENT_SECRET) return { on: false, reason: "off (no GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET)" };
  if (!env.GITHUB_CLIENT_ID || !env.GITHUB_CLIENT_SECRET) {
    throw new Error(`Invalid Countersign environment: the dashboard's sign-in needs both GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (${env.GITHUB_CLIENT_ID ? "GITHUB_CLIENT_SECRET" : "GITHUB_CLIENT_ID"} is missing)`);
  }
  const evidence = evidenceSettings(env);
  if (!evidence) return { on: false, reason: "off (needs COUNTERSIGN_PUBLIC_URL and COUNTERSIGN_EVIDENCE_SECRET, as the evidence page does)" };
  return { on: true, settings: { clientId: env.GITHUB_CLIENT_ID, clientSecret: env.GITHUB_CLIENT_SECRET, publicUrl: evidence.publicUrl, secret: evidence.secret } };
}

/** The credential app's settings, or null when the credential exchange is not configured. */
export interface CredentialAppSettings {
  appId: number;
  privateKey: string;
  tokenKey: Buffer;
  ratePerMinute: number;
  sweepMs: number;
  /** The configured slug, if any (otherwise read from GitHub). */
  slug?: string | null;
}

const CREDENTIAL_VARIABLES = ["COUNTERSIGN_CREDENTIAL_APP_ID", "COUNTERSIGN_CREDENTIAL_APP_PRIVATE_KEY", "COUNTERSIGN_CREDENTIAL_TOKEN_KEY"] as const;

/** The credential app's settings: all three variables, or none (then the route answers not_configured). */
export function credentialAppSettings(env: CountersignEnv): CredentialAppSettings | null {
  const missing = CREDENTIAL_VARIABLES.filter((name) => env[name] === undefined);
  if (missing.length === CREDENTIAL_VARIABLES.length) return null;
  if (missing.length > 0) throw new Error(`Invalid Countersign environment: the credential app needs ${CREDENTIAL_VARIABLES.join(", ")} (${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} missing)`);
  return { appId: env.COUNTERSIGN_CREDENTIAL_APP_ID as number, privateKey: env.COUNTERSIGN_CREDENTIAL_APP_PRIVATE_KEY as string, tokenKey: Buffer.from(env.COUNTERSIGN_CREDENTIAL_TOKEN_KEY as string, "base64"), ratePerMinute: env.COUNTERSIGN_CREDENTIALS_RATE_PER_MINUTE, sweepMs: env.COUNTERSIGN_CREDENTIAL_SWEEP_SECONDS * 1000, slug: env.COUNTERSIGN_CREDENTIAL_APP_SLUG ?? null };
}

/** The checkpoint key, the retired public keys, and how often to sign; null without a key. */
export interface CheckpointSettings {
  signer: CheckpointSigner;
  retired: CheckpointVerifier[];
  everyMs: number;
}

/** The checkpoint settings; a key that does not parse is an error naming the variable (never its value). */
export function checkpointSettings(env: CountersignEnv): CheckpointSettings | null {
  const retired = (env.COUNTERSIGN_CHECKPOINT_RETIRED_KEYS ?? "").split(/[\s,]+/).filter((key) => key.length > 0);
  let parsedRetired: CheckpointVerifier[];
  try {
    parsedRetired = retired.map(parseVerifierKey);
  } catch (error) {
    throw new Error(`Invalid Countersign environment: COUNTERSIGN_CHECKPOINT_RETIRED_KEYS: ${(error as Error).message}`);
  }
  if (env.COUNTERSIGN_CHECKPOINT_KEY === undefined) return null;
  let signer: CheckpointSigner;
  try {
    signer = parseSignerKey(env.COUNTERSIGN_CHECKPOINT_KEY);
  } catch (error) {
    throw new Error(`Invalid Countersign environment: COUNTERSIGN_CHECKPOINT_KEY: ${(error as Error).message}`);
  }
  return { signer, retired: parsedRetired.filter((key) => key.encoded !== signer.verifier.encoded), everyMs: env.COUNTERSIGN_CHECKPOINT_SECONDS * 1000 };
}

/** Parses `env` with `schema`; the error says whose variables they are (`what`) and names each bad one. */
export function parseEnvironment<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv, what: string): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new Error(`Invalid ${what} environment: ${problems}`);
  }
  return parsed.data;
}

/** Parses Countersign's own variables; the error names each bad one. */
export function parseEnv(env: NodeJS.ProcessEnv): CountersignEnv {
  return parseEnvironment(envSchema, env, "Countersign");
}
