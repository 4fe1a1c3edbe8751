import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { REPO } from "../fixtures/payloads.js";
import { pullRequestFilesPage, pullRequestGraphqlResponse, type FakePolicies, type FakePullRequest } from "../mocks/graphql-responses.js";

// A GitHub Enterprise Server on loopback, for the end-to-end tests: REST under /api/v3, GraphQL at
// /api/graphql, answering from a small model of one repository and recording every request.

export interface RecordedRequest {
  method: string;
  url: string;
  body: any;
}

export interface FakeGhesState {
  pulls: Map<number, FakePullRequest>;
  permissions: Map<string, string>;
  /** Whether a ruleset requires `Countersign` on every branch. */
  required: boolean;
  requests: RecordedRequest[];
  checkRuns: Map<number, { id: number; head_sha: string; conclusion: string; output: { title: string; summary: string }; details_url?: string }>;
  /** Every check-run write, in the order GitHub received them. */
  checkRunWrites: Array<{ id: number; headSha: string; conclusion: string }>;
  comments: Array<{ issue: number; body: string }>;
  /** Milliseconds each answer is delayed by (a function, to vary it); none by default. */
  latencyMs?: () => number;
  /** The policy files the pull-request query reads with each pull request; none by default. */
  policies?: FakePolicies;
  /** The installation's repositories besides the one modelled (whose pull requests are `pulls`); their pull-request lists are empty. */
  otherRepositories?: Array<{ id: number; name: string; archived?: boolean }>;
  /**
   * Routes a test adds (GitHub's web pages, say): called first with the raw body; answering the
   * request and returning true takes it over.
   */
  routes?: (req: IncomingMessage, raw: string, res: ServerResponse) => boolean;
}

export function fakeGhesState(): FakeGhesState {
  return { pulls: new Map(), permissions: new Map(), required: true, requests: [], checkRuns: new Map(), checkRunWrites: [], comments: [] };
}

/** Starts answering; the caller listens on a port. */
export function fakeGhes(state: FakeGhesState): Server {
  let nextCheckRun = 77;
  return createServer((req: IncomingMessage, res) => {
    let raw = "";
    req.on("data", (chunk) => (raw += chunk));
    req.on("end", () => {
      if (state.routes?.(req, raw, res)) return;
      const body = raw ? JSON.parse(raw) : null;
      const url = req.url ?? "";
      const path = url.replace(/\?.*$/, "");
      state.requests.push({ method: req.method ?? "", url, body });
      const delay = state.latencyMs?.() ?? 0;
      const send = (status: number, payload: unknown) => {
        const answer = () => {
          res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
          res.end(JSON.stringify(payload));
        };
        if (delay > 0) setTimeout(answer, delay);
        else answer();
      };
      if (req.method === "POST" && /^\/api\/v3\/app\/installations\/\d+\/access_tokens$/.test(path)) return send(201, { token: "ghs_e2e", expires_at: "2099-01-01T00:00:00Z", permissions: {} });
      if (req.method === "POST" && path === "/api/graphql") {
        const pr = state.pulls.get(body?.variables?.number);
        return pr ? send(200, pullRequestGraphqlResponse(pr, state.policies)) : send(200, { data: { repository: null }, errors: [{ message: "not found" }] });
      }
      if (req.method === "GET" && path.includes("/contents/")) return send(404, { message: "Not Found" });
      if (req.method === "GET" && path.includes("/rules/branches/")) {
        return send(200, state.required ? [{ type: "required_status_checks", parameters: { required_status_checks: [{ context: "Countersign", integration_id: 4242 }] } }] : []);
      }
      if (req.method === "GET" && /\/branches\/[^/]+$/.test(path)) return send(200, { name: "main", protected: false });
      const permission = /\/collaborators\/([^/]+)\/permission$/.exec(path);
      if (req.method === "GET" && permission) {
        const level = state.permissions.get(decodeURIComponent(permission[1] as string)) ?? "read";
        return send(200, { permission: level, user: { login: permission[1], permissions: { admin: level === "admin", maintain: false, push: level === "write" || level === "admin", triage: false, pull: true } } });
      }
      const app = /^\/api\/v3\/apps\/([^/]+)$/.exec(path);
      if (req.method === "GET" && app) return send(200, { id: 9, slug: app[1], name: app[1], permissions: { contents: "write", pull_requests: "write" }, events: ["pull_request"] });
      const comment = /\/issues\/(\d+)\/comments$/.exec(path);
      if (req.method === "POST" && comment) {
        state.comments.push({ issue: Number(comment[1]), body: body.body });
        return send(201, { id: 500 + state.comments.length });
      }
      if (req.method === "POST" && /\/check-runs$/.test(path)) {
        const run = { id: nextCheckRun++, head_sha: body.head_sha, conclusion: body.conclusion, output: body.output, details_url: body.details_url };
        state.checkRuns.set(run.id, run);
        state.checkRunWrites.push({ id: run.id, headSha: run.head_sha, conclusion: run.conclusion });
        return send(201, { id: run.id });
      }
      const update = /\/check-runs\/(\d+)$/.exec(path);
      if (req.method === "PATCH" && update) {
        const run = state.checkRuns.get(Number(update[1]));
        if (!run) return send(404, { message: "Not Found" });
        Object.assign(run, { conclusion: body.conclusion, output: body.output, details_url: body.details_url });
        state.checkRunWrites.push({ id: run.id, headSha: run.head_sha, conclusion: run.conclusion });
        return send(200, { id: run.id });
      }
      const query = new URL(url, "http://fake-ghes").searchParams;
      const files = /^\/api\/v3\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)\/files$/.exec(path);
      if (req.method === "GET" && files) {
        const pr = state.pulls.get(Number(files[1]));
        return pr ? send(200, pullRequestFilesPage(pr, Number(query.get("page") ?? 1), Number(query.get("per_page") ?? 30))) : send(404, { message: "Not Found" });
      }
      // One page of open pull requests (a test has fewer than a hundred): the modelled repository's, on `base` when asked.
      const pulls = /^\/api\/v3\/repos\/[^/]+\/([^/]+)\/pulls$/.exec(path);
      if (req.method === "GET" && pulls) {
        const base = query.get("base");
        const open = decodeURIComponent(pulls[1] as string) === REPO.name ? [...state.pulls.values()].filter((pr) => pr.state !== "closed" && (base === null || (pr.baseRef ?? "main") === base)) : [];
        return send(200, open.map((pr) => ({ number: pr.number, state: "open", head: { sha: pr.headSha, ref: pr.headRef ?? "feature" }, base: { ref: pr.baseRef ?? "main" } })));
      }
      if (req.method === "GET" && path === "/api/v3/installation/repositories") {
        const repositories = [{ id: REPO.id, name: REPO.name }, ...(state.otherRepositories ?? [])].map((repository) => ({
          id: repository.id,
          name: repository.name,
          full_name: `${REPO.owner}/${repository.name}`,
          owner: { login: REPO.owner },
          archived: "archived" in repository ? repository.archived === true : false,
        }));
        return send(200, { total_count: repositories.length, repositories });
      }
      return send(404, { message: `fake GHES has no ${req.method} ${url}` });
    });
  });
}
