import { run } from "probot";

// The baseline: a Probot app on the same server and environment as Countersign that verifies each
// delivery's signature (Probot does, before any handler) and does nothing else. Run by run.mjs as
// `node scripts/bench/bare-app.mjs` with Probot's environment (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET,
// PORT, ...).
await run((app) => {
  app.onAny(async () => {});
});
