import { createServer } from "node:http";
import { pagesResponse, pullRequestGraphqlResponse } from "./graphql-responses.mjs";

// GitHub Enterprise Server on loopback for the benchmark: REST under /api/v3, GraphQL at
// /api/graphql, answering every request after a fixed latency from a model of the repositories that
// the load generator changes as it sends deliveries (a push changes the head, a review is added), so
// each evaluation reads what GitHub would show at that moment. Counts every request by kind.

/** The kinds of request counted, in the order they are reported. */
export const REQUEST_KINDS = ["token", "graphql", "graphql-page", "rules", "branch", "permission", "app", "check-run-create", "check-run-update", "comment", "unexpected"];

/** The model: repositories by full name, with their pull requests; permissions by login. */
export function createWorld({ appId, orgPolicy }) {
  return { appId, orgPolicy, repos: new Map(), permissions: new Map(), checkRuns: new Map(), nextCheckRun: 1, comments: 0 };
}

/** Adds a repository (see payloads.mjs `benchRepository`) with no pull requests yet. */
export function addRepository(world, repo) {
  world.repos.set(repo.fullName, { ...repo, pulls: new Map() });
  return world.repos.get(repo.fullName);
}

/** Marks a pull request changed: cached answers about it are stale. */
export function touch(pr) {
  pr.version = (pr.version ?? 0) + 1;
}

// Answers about a large pull request are built once per version of it: the fake shares two cores
// with the app, and must not compete with it more than GitHub's own servers would.
function cached(pr, key, build) {
  if (!pr.answers || pr.answers.version !== pr.version) pr.answers = { version: pr.version, byKey: new Map() };
  let text = pr.answers.byKey.get(key);
  if (text === undefined) {
    text = JSON.stringify(build());
    pr.answers.byKey.set(key, text);
  }
  return text;
}

/** Starts the fake GitHub on a loopback port; resolves to `{ url, port, counts, reset(), close() }`. */
export async function startFakeGitHub(world, { latencyMs }) {
  const counts = Object.fromEntries(REQUEST_KINDS.map((kind) => [kind, 0]));
  const unexpected = [];

  function answer(req, raw) {
    const path = (req.url ?? "").replace(/\?.*$/, "");
    const method = req.method ?? "GET";
    const json = (kind, status, body) => {
      counts[kind] += 1;
      return { status, text: typeof body === "string" ? body : JSON.stringify(body) };
    };
    if (method === "POST" && /^\/api\/v3\/app\/installations\/\d+\/access_tokens$/.test(path)) {
      return json("token", 201, { token: `ghs_bench_${path.split("/")[5]}`, expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: { checks: "write", pull_requests: "read" }, repository_selection: "all" });
    }
    if (method === "POST" && path === "/api/graphql") {
      const body = JSON.parse(raw);
      const { owner, name, number } = body.variables ?? {};
      const repo = world.repos.get(`${owner}/${name}`);
      const pr = repo?.pulls.get(number);
      if (!repo || !pr) return json("unexpected", 200, { data: { repository: null }, errors: [{ type: "NOT_FOUND", message: "not found" }] });
      if (body.query.includes("query CountersignPullRequest_pages(")) {
        return json("graphql-page", 200, cached(pr, `pages:${body.query}:${JSON.stringify(body.variables)}`, () => pagesResponse(repo, pr, body.query, body.variables)));
      }
      return json("graphql", 200, cached(pr, "query", () => pullRequestGraphqlResponse(repo, pr, { repository: null, organization: world.orgPolicy })));
    }
    if (method === "GET" && /^\/api\/v3\/repos\/[^/]+\/[^/]+\/rules\/branches\/[^/]+$/.test(path)) {
      return json("rules", 200, [{ type: "required_status_checks", ruleset_source_type: "Organization", ruleset_id: 1, parameters: { strict_required_status_checks_policy: false, required_status_checks: [{ context: "Countersign", integration_id: world.appId }] } }]);
    }
    if (method === "GET" && /^\/api\/v3\/repos\/[^/]+\/[^/]+\/branches\/[^/]+$/.test(path)) return json("branch", 200, { name: "main", protected: true, protection: { enabled: true, required_status_checks: { enforcement_level: "off", contexts: [], checks: [] } } });
    const permission = /^\/api\/v3\/repos\/[^/]+\/[^/]+\/collaborators\/([^/]+)\/permission$/.exec(path);
    if (method === "GET" && permission) {
      const login = decodeURIComponent(permission[1]);
      const level = world.permissions.get(login) ?? "read";
      return json("permission", 200, {
        permission: level,
        role_name: level,
        user: { login, id: 1, type: "User", permissions: { admin: level === "admin", maintain: false, push: level === "write" || level === "admin", triage: false, pull: true } },
      });
    }
    const app = /^\/api\/v3\/apps\/([^/]+)$/.exec(path);
    if (method === "GET" && app) {
      return json("app", 200, { id: 1236702, slug: app[1], name: "Claude", owner: { login: "anthropics" }, permissions: { contents: "write", issues: "write", metadata: "read", pull_requests: "write" }, events: ["issue_comment", "pull_request", "pull_request_review"] });
    }
    if (method === "POST" && /^\/api\/v3\/repos\/[^/]+\/[^/]+\/check-runs$/.test(path)) {
      const body = JSON.parse(raw);
      const id = world.nextCheckRun++;
      world.checkRuns.set(id, { id, headSha: body.head_sha, conclusion: body.conclusion, title: body.output?.title });
      return json("check-run-create", 201, { id, head_sha: body.head_sha, name: body.name, status: body.status, conclusion: body.conclusion });
    }
    const update = /^\/api\/v3\/repos\/[^/]+\/[^/]+\/check-runs\/(\d+)$/.exec(path);
    if (method === "PATCH" && update) {
      const body = JSON.parse(raw);
      const run = world.checkRuns.get(Number(update[1]));
      if (!run) return json("unexpected", 404, { message: "Not Found" });
      Object.assign(run, { conclusion: body.conclusion, title: body.output?.title });
      return json("check-run-update", 200, { id: run.id, head_sha: run.headSha, conclusion: run.conclusion });
    }
    if (method === "POST" && /^\/api\/v3\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/.test(path)) {
      world.comments += 1;
      return json("comment", 201, { id: 900_000 + world.comments });
    }
    unexpected.push(`${method} ${req.url}`);
    return json("unexpected", 404, { message: `fake GitHub has no ${method} ${req.url}` });
  }

  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const { status, text } = answer(req, Buffer.concat(chunks).toString("utf8"));
      // A fixed latency for every request, as a GitHub Enterprise Server at a fixed distance.
      setTimeout(() => {
        res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
        res.end(text);
      }, latencyMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = server.address().port;
  return {
    port,
    counts,
    unexpected,
    /** The counts so far, as a plain object; then starts counting from zero. */
    take() {
      const snapshot = { ...counts };
      for (const kind of REQUEST_KINDS) counts[kind] = 0;
      return snapshot;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
