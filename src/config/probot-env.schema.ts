import { z } from "zod";
import { parseEnvironment } from "./env.schema.js";

// Probot's standard environment, as Countersign reads it itself: for its own logger (which redacts
// secrets, see observability/log.ts), to decide between setup mode and running, and for the setup
// page. Probot reads the same variables again inside `run()`; the two readings agree because both
// follow Probot's documented defaults (https://probot.github.io/docs/configuration/). A bad value is
// named at start-up instead of surfacing as a stack trace from pino or Node's HTTP server.

const optionalText = z.preprocess((value) => (value === "" ? undefined : value), z.string().optional());

export const probotEnvSchema = z.object({
  LOG_LEVEL: z.preprocess((value) => (value === "" ? undefined : value), z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info")),
  /** `pretty` or `json`; unset: JSON when NODE_ENV=production, pretty otherwise (as Probot). */
  LOG_FORMAT: z.preprocess((value) => (value === "" ? undefined : value), z.enum(["pretty", "json"]).optional()),
  LOG_LEVEL_IN_STRING: optionalText,
  LOG_MESSAGE_KEY: optionalText,
  SENTRY_DSN: optionalText,
  NODE_ENV: optionalText,
  HOST: optionalText,
  PORT: z.preprocess((value) => (value === "" ? undefined : value), z.coerce.number().int().min(0).max(65_535).default(3000)),
  WEBHOOK_PATH: z.preprocess((value) => (value === "" ? undefined : value), z.string().startsWith("/", "must start with /").default("/api/github/webhooks")),
  /** A webhook proxy channel (smee.io) that forwards GitHub's deliveries to this process. */
  WEBHOOK_PROXY_URL: z.preprocess((value) => (value === "" ? undefined : value), z.url({ protocol: /^https?$/ }).optional()),
  GHE_HOST: optionalText,
  /**
   * A Redis server that Probot's request throttling shares through (Bottleneck clustering), so that
   * replicas of one installation keep GitHub's pace together rather than each on its own.
   */
  REDIS_URL: z.preprocess((value) => (value === "" ? undefined : value), z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" }).optional()),
  GHE_PROTOCOL: z.preprocess((value) => (value === "" ? undefined : value), z.enum(["https", "http"]).default("https")),
  /** Register the app under this organization instead of the user who opens the setup page. */
  GH_ORG: optionalText,
  NO_SMEE_SETUP: optionalText,
});

export type ProbotEnv = z.infer<typeof probotEnvSchema>;

/** Parses Probot's variables; the error names each bad one. */
export function parseProbotEnv(env: NodeJS.ProcessEnv): ProbotEnv {
  return parseEnvironment(probotEnvSchema, env, "Probot");
}

/** Whether Probot runs in production mode (JSON logs, no setup page). */
export function isProduction(env: ProbotEnv): boolean {
  return env.NODE_ENV === "production";
}

/** GitHub's web address: github.com, or the Enterprise Server named by GHE_HOST. */
export function githubWebUrl(env: ProbotEnv): string {
  return env.GHE_HOST ? `${env.GHE_PROTOCOL}://${env.GHE_HOST}` : "https://github.com";
}

/** GitHub's REST API: api.github.com, or `/api/v3` on the Enterprise Server. */
export function githubApiUrl(env: ProbotEnv): string {
  return env.GHE_HOST ? `${env.GHE_PROTOCOL}://${env.GHE_HOST}/api/v3` : "https://api.github.com";
}
