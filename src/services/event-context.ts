import type { Logger } from "probot";
import type { GitHub } from "../github/github-client.js";

/** The repository an event concerns. */
export interface RepoContext {
  owner: string;
  name: string;
  id: number;
  fullName: string;
}

/** The logging the services use (Probot's logger, or a plain one in the CLI). */
export type Log = Pick<Logger, "info" | "warn" | "error">;

/** Who, where and how an event reached Countersign. */
export interface EventContext {
  /** GitHub, as the event's installation. */
  github: GitHub;
  log: Log;
  repo: RepoContext;
  deliveryId: string | null;
  installationId: number | null;
}
