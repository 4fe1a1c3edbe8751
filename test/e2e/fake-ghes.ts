import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { REPO } from "../fixtures/payloads.js";
import type { FakePullRequest } from "../fakes/graphql-responses.js";
import { installationToken } from "../fakes/rest-responses.js";
import { serveFakeGitHub, type FakeGitHubWorld, type FakeIssue } from "../fakes/github-server.js";

// A GitHub Enterprise Server on loopback, for the end-to-end tests: the shared fake GitHub
// (test/fakes/github-server.ts) modelling one repository, `REPO`, and recording every request.

export interface RecordedRequest {
  method: string;
  url: string;
  body: any;
  /** When it arrived (Date.now()). */
  at: number;
}

export interface FakeGhesState extends FakeGitHubWorld {
  /** The pull requests of `REPO`. */
  pulls: Map<number, FakePullRequest>;
  /** The issues of `REPO` (title and body), which a test edits and deletes as the story goes on. */
  issues: Map<number, FakeIssue>;
  requests: RecordedRequest[];
  /** Milliseconds each answer is delayed by (a function, to vary it); none by default. */
  latencyMs?: () => number;
  /** The installation's repositories besides the one modelled (whose pull requests are `pulls`); their pull-request lists are empty. */
  otherRepositories?: Array<{ id: number; name: string; archived?: boolean }>;
  /**
   * Routes a test adds (GitHub's web pages, say): called first with the raw body; answering the
   * request and returning true takes it over.
   */
  routes?: (req: IncomingMessage, raw: string, res: ServerResponse) => boolean;
}

/** A model of `REPO` with no pull requests, a ruleset requiring `Countersign` from the e2e app (4242), and every agent app known. */
export function fakeGhesState(): FakeGhesState {
  const state: FakeGhesState = {
    appId: 4242,
    requiredCheck: "ruleset",
    pulls: new Map(),
    issues: new Map(),
    permissions: new Map(),
    requests: [],
    checkRuns: new Map(),
    checkRunWrites: [],
    comments: [],
    nextCheckRunId: 77,
    token: () => installationToken("ghs_e2e"),
    repository: (owner, name) => (owner === REPO.owner && name === REPO.name ? { ...REPO, pulls: state.pulls, issues: state.issues } : undefined),
    installation: () => ({ owner: REPO.owner, repositories: [{ id: REPO.id, name: REPO.name }, ...(state.otherRepositories ?? [])] }),
    app: (slug) => ({ id: 9, name: slug, permissions: { contents: "write", pull_requests: "write" }, events: ["pull_request"] }),
  };
  return state;
}

/** Starts answering; the caller listens on a port. */
export function fakeGhes(state: FakeGhesState): Server {
  return serveFakeGitHub(state, {
    latencyMs: () => state.latencyMs?.() ?? 0,
    routes: (req, raw, res) => state.routes?.(req, raw, res) ?? false,
    onRequest: (request) => state.requests.push({ ...request, at: Date.now() }),
  });
}
