import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { commentEvent, pullRequestEvent } from "../fixtures/payloads.js";
import { alice, claude } from "../fixtures/people.js";
import { deliverWebhook, launchEnterpriseApp, waitFor, type EnterpriseApp } from "./app-process.js";
import { fakeGhesState } from "./fake-ghes.js";

// Commands a person did not visibly issue, delivered to the built app as signed issue_comment webhooks:
// hidden by Markdown (GitHub shows no command), or performed by an app with the person's token. Neither
// may record a delegation; the agent's pull request stays blocked.

const SECRET = "e2e-webhook-secret";
const HEAD = "e7".repeat(20);
const PR = 5;

const HIDDEN: Array<[string, string]> = [
  ["an HTML comment opening mid-line and spanning lines", "LGTM <!-- for the bot:\n/delegate SEC-1 paths:**\n-->"],
  ["a fenced code block nested in a list item", "To hand over:\n\n1. ```\n   /delegate SEC-1\n   ```"],
  ["a block quote nested in a list item", "- > the agent suggested\n  > /delegate SEC-1"],
  ["a quote's lazy line inside a list item", "- > the agent suggested\n/delegate SEC-1"],
  ["a collapsed <details>", "<details><summary>log</summary>\n\n/delegate SEC-1\n\n</details>"],
  ["a <details> whose close is hidden in an attribute", '<details><img alt="</details>">\n\n/delegate SEC-1'],
  ["an HTML comment left open in a list item", "- <!--\n\n/delegate SEC-1"],
  ["a table cell", "| command |\n| --- |\n| /delegate SEC-1 |"],
  ["a footnote", "Done.[^1]\n\n[^1]: /delegate SEC-1"],
  ["link text", "[see\n/delegate SEC-1](https://example.com)"],
  ["inline code spanning lines", "Run `this\n/delegate SEC-1` later"],
  ["an escaped slash", "\\/delegate SEC-1"],
];

/** The Copilot coding agent's app, as `performed_via_github_app` names it in an issue_comment payload. */
const AGENT_APP = { id: 1143301, slug: "copilot-swe-agent", node_id: "A_kwHOAAAAAAA", name: "Copilot", owner: { login: "github", id: 9919, type: "Organization" }, description: "", external_url: "https://github.com", html_url: "https://github.com/apps/copilot-swe-agent", created_at: "2024-01-01T00:00:00Z", updated_at: "2024-01-01T00:00:00Z", permissions: { issues: "write" }, events: [] };

describe("commands a person did not visibly issue, through the built app", () => {
  const state = fakeGhesState();
  let running: EnterpriseApp | undefined;
  let delivery = 0;

  /** Delivers a signed webhook and waits until the app has finished processing it. */
  async function deliver(event: string, payload: Record<string, unknown>): Promise<string> {
    delivery += 1;
    const id = `hostile-commands-${delivery}`;
    expect((await deliverWebhook(running!.url, SECRET, event, id, payload)).status).toBe(200);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const [row] = await running!.database.rows(`SELECT "status" FROM "Delivery" WHERE "id" = '${id}'`);
      if (row?.status === "done" || row?.status === "failed") {
        expect(row.status).toBe("done");
        return id;
      }
      if (Date.now() > deadline) throw new Error(`delivery ${id} was not processed`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  const latestRun = () => [...state.checkRuns.values()].at(-1);
  const delegations = () => running!.database.rows(`SELECT "taskRef", "ownerLogin", "status" FROM "Delegation"`);
  const auditEvents = async () => (await running!.database.rows(`SELECT "type", "actorLogin", "deliveryId", "payload" FROM "AuditEvent" ORDER BY "seq"`)).map((row) => ({ type: String(row.type), actorLogin: row.actorLogin as string | null, deliveryId: row.deliveryId as string | null, payload: JSON.parse(String(row.payload)) as Record<string, unknown> }));
  const comment = (body: string) => commentEvent({ number: PR, onPullRequest: true, body, author: alice });

  beforeAll(async () => {
    state.permissions.set("alice", "write");
    state.pulls.set(PR, { number: PR, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "Implement the task", author: claude }], reviews: [], files: ["src/task.ts"] });
    running = await launchEnterpriseApp(state, { webhookSecret: SECRET });
    await deliver("pull_request", pullRequestEvent("opened", state.pulls.get(PR)!));
    await waitFor(() => latestRun() !== undefined);
  }, 60_000);

  afterAll(async () => {
    await running?.stop();
  });

  test("the agent's pull request starts blocked, needing a delegation", () => {
    expect(latestRun()).toMatchObject({ head_sha: HEAD, conclusion: "action_required", output: { title: "Needs a delegation" } });
  });

  test.each(HIDDEN)("a command hidden in %s records nothing and gets no reply", async (_description, body) => {
    const writes = state.checkRunWrites.length;
    await deliver("issue_comment", comment(body));

    expect(state.comments).toEqual([]);
    expect(await delegations()).toEqual([]);
    expect((await auditEvents()).map((event) => event.type)).not.toContain("delegation.created");
    expect(state.checkRunWrites.length).toBe(writes);
    expect(latestRun()).toMatchObject({ conclusion: "action_required", output: { title: "Needs a delegation" } });
  });

  test("a /delegate an agent app performed with alice's token is refused: a reply says why, the audit log records it, the PR stays blocked", async () => {
    const writes = state.checkRunWrites.length;
    const payload = comment("/delegate SEC-1 paths:**");
    (payload.comment as Record<string, unknown>).performed_via_github_app = AGENT_APP;
    const id = await deliver("issue_comment", payload);

    expect(state.comments).toHaveLength(1);
    const reply = state.comments[0]?.body ?? "";
    expect(reply).toContain("**Countersign did not record this command.** this comment was posted through the GitHub App `Copilot` (`copilot-swe-agent`), not typed by \\@\u200balice");
    expect(reply).toContain("_Nothing was changed._");
    // Nobody is mentioned: the refusal, like every reply's explanation, is rendered inert.
    expect(reply.replace(/`[^`]*`/g, "").match(/@[A-Za-z0-9-]+/g)).toBeNull();
    expect(await delegations()).toEqual([]);
    const refusal = (await auditEvents()).filter((event) => event.deliveryId === id);
    expect(refusal).toEqual([
      expect.objectContaining({ type: "delegation.refused", actorLogin: "alice", payload: expect.objectContaining({ command: "delegate-pr", performedViaApp: { id: 1143301, slug: "copilot-swe-agent", name: "Copilot" } }) }),
    ]);
    expect(state.checkRunWrites.length).toBe(writes);
    expect(latestRun()).toMatchObject({ conclusion: "action_required", output: { title: "Needs a delegation" } });
  });

  test("a command alice visibly typed still records her delegation", async () => {
    await deliver("issue_comment", comment("<!-- not this one:\n/delegate SEC-9 paths:**\n-->\nHanding this to the agent.\n/delegate SEC-1 paths:src/**"));

    expect(await delegations()).toEqual([{ taskRef: "SEC-1", ownerLogin: "alice", status: "active" }]);
    expect(state.comments.at(-1)?.body).toContain("Countersign recorded a delegation");
    expect(state.comments.at(-1)?.body).toContain("- Scope: `src/**`");
    await waitFor(() => latestRun()?.output.title === "Needs approval by someone other than @alice");
  });
});
