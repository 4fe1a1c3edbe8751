import { describe, expect, test } from "@jest/globals";
import { createDelegation } from "../../../src/db/delegations.js";
import type { Actor } from "../../../src/policy/types.js";
import { recordIssueClosed } from "../../../src/services/record-issue-closed.js";
import { HEAD, pullRequest } from "../policy/builders.js";
import { auditTypes, NOW, REPO, useServiceWorld } from "./service-harness.js";

// Closing a task issue ends the delegations given on it, as closing a pull request does; the pull
// requests that relied on them are judged again at once, so their check runs stop showing a
// delegation that is over. A redelivery, or an issue with nothing delegated on it, changes nothing.

const bob: Actor = { id: 1002, login: "bob", kind: "user" };

async function delegateOnIssue(world: ReturnType<ReturnType<typeof useServiceWorld>>, number: number): Promise<string> {
  const record = await createDelegation(
    world.services.db,
    { installationId: 7, repo: { id: REPO.id, fullName: REPO.fullName }, subjectType: "issue", subjectNumber: number, owner: { id: 1001, login: "alice" }, agent: { id: 209825114, login: "claude[bot]" }, task: { kind: "issue", ref: `#${number}`, url: null }, scopePaths: [], scopeBranches: [], expiresAt: null, agentInventory: [], comment: { id: number, url: `https://github.com/acme/widgets/issues/${number}#issuecomment-${number}` } },
    NOW,
  );
  return record.id;
}

describe("recordIssueClosed", () => {
  const world = useServiceWorld();

  test("the issue's delegations end, recorded as ended by whoever closed it, and the open pull request closing the issue is re-evaluated at once", async () => {
    const { services, github, event } = world();
    const closedOne = await delegateOnIssue(world(), 12);
    const other = await delegateOnIssue(world(), 13);
    github.addPullRequest(pullRequest({ number: 7, closingIssues: [12] }));
    github.issueReferences.set(12, [7]);
    await recordIssueClosed(services, event(), { number: 12, closedBy: bob });

    expect(await services.db.prisma.delegation.findUnique({ where: { id: closedOne } })).toMatchObject({ status: "revoked", revokedById: 1002n, revokedByLogin: "bob", revokeReason: "the issue was closed" });
    expect(await services.db.prisma.delegation.findUnique({ where: { id: other } })).toMatchObject({ status: "active" });
    const ended = await services.db.prisma.auditEvent.findFirstOrThrow({ where: { type: "delegation.ended" } });
    expect(ended).toMatchObject({ actorLogin: "bob", subjectNumber: 12, deliveryId: "delivery-1" });
    expect(JSON.parse(ended.payload)).toEqual({ delegationId: closedOne, reason: "the issue was closed" });
    // Judged again at once (blocked: no active delegation is left, nor an approval).
    expect(github.callsOf("readPullRequest").map((args) => args[1])).toEqual([7]);
    expect(github.checkRunsOn(HEAD).at(-1)?.conclusion).toBe("action_required");
  });

  test("a redelivery ends nothing more and re-evaluates nothing; an issue without delegations costs no GitHub read", async () => {
    const { services, github, event } = world();
    await delegateOnIssue(world(), 12);
    github.addPullRequest(pullRequest({ number: 7, closingIssues: [12] }));
    github.issueReferences.set(12, [7]);
    await recordIssueClosed(services, event(), { number: 12, closedBy: bob });
    const calls = github.calls.length;
    await recordIssueClosed(services, event({ deliveryId: "delivery-2" }), { number: 12, closedBy: bob });
    await recordIssueClosed(services, event({ deliveryId: "delivery-3" }), { number: 99, closedBy: bob });
    expect(github.calls.length).toBe(calls);
    expect((await auditTypes(services.db)).filter((type) => type === "delegation.ended")).toHaveLength(1);
  });
});
