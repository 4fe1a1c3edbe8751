import { getTransformStream } from "@probot/pino";
import pino, { type Logger } from "pino";
import { isProduction, type ProbotEnv } from "../config/probot-env.schema.js";
import { redactSecrets } from "./redact-secrets.js";

/**
 * The logger Countersign gives Probot (`run(app, { log })`): Probot's own format and options
 * (LOG_LEVEL, LOG_FORMAT, LOG_LEVEL_IN_STRING, LOG_MESSAGE_KEY, SENTRY_DSN, through @probot/pino's
 * transform, as Probot's default logger does), with every line passed through `redactSecrets` before
 * it is written, so that the HTTP access log of a signed evidence link or of the setup callback shows
 * no working signature or code.
 */
export async function createLog(env: ProbotEnv): Promise<Logger> {
  const logFormat = env.LOG_FORMAT ?? (isProduction(env) ? "json" : "pretty");
  const transform = await getTransformStream({ logFormat, logLevelInString: env.LOG_LEVEL_IN_STRING === "true", ...(env.SENTRY_DSN ? { sentryDsn: env.SENTRY_DSN } : {}) });
  // SonicBoom is a writable stream at run time (Probot pipes the same way); its types do not say so.
  transform.pipe(pino.destination(1) as unknown as NodeJS.WritableStream);
  return pino({ level: env.LOG_LEVEL, name: "probot", messageKey: env.LOG_MESSAGE_KEY ?? "msg", hooks: { streamWrite: redactSecrets } }, transform);
}
