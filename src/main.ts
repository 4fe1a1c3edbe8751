import { startCountersign } from "./start.js";

// `npm start` (and the Docker image): Countersign with Probot's defaults, throttling and retries on.
startCountersign().catch((error: unknown) => {
  console.error(`countersign: failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
