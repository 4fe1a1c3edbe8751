import { describe, expect, test } from "@jest/globals";
import type { StoredEvent } from "../../../src/audit/chain.js";
import { buildExportRecord } from "../../../src/cli/audit/export.js";
import { credentialsSection } from "../../../src/evidence/check-run-output.js";
import { renderEvidencePage } from "../../../src/evidence/evidence-page.js";
import { issuedCredentials, VENDOR_HELD } from "../../../src/evidence/issued-credentials.js";
import { buildStory } from "../../../src/evidence/pr-story.js";
import { renderStoryMarkdown } from "../../../src/evidence/story-markdown.js";

// The credentials of a pull request's story, built from stored events the way the mint and the sweep
// record them: one credential revoked when its delegation was revoked, one whose revocation GitHub did
// not confirm and that then expired, and one still live. The workload's claims are the issuer's words
// (untrusted), and the events carry the token's hashes, which no rendering shows.

const REPO = "acme/payments-api";
const HOSTILE = "<img src=x onerror=alert(1)> | [link](https://evil.example)";
const HEAD = "b1".repeat(20);
const SHA256 = "5e".repeat(32);
const HASHED = "c2VjcmV0LWhhc2hlZC10b2tlbg==";
const hash = (seq: number) => seq.toString(16).padStart(64, "e");
const at = (minute: number) => new Date(Date.UTC(2026, 10, 25, 12, minute, 0));

function event(seq: number, type: string, minute: number, payload: Record<string, unknown>, fields: Partial<StoredEvent> = {}): StoredEvent {
  return { seq, type, repoId: 7, repoFullName: REPO, subjectNumber: 2, sha: null, actorId: null, actorLogin: null, deliveryId: null, createdAt: at(minute), hash: hash(seq), prevHash: hash(seq - 1), ...fields, payload: JSON.stringify(payload) };
}

const workload = { iss: "https://token.actions.githubusercontent.com", sub: "repo:acme/payments-api:ref:refs/heads/main", repository: REPO, job_workflow_ref: `${REPO}/.github/workflows/agent.yml@refs/heads/main`, run_id: "9001", actor: "alice", jti: "j-1" };
const issued = (seq: number, id: string, minute: number, extra: Record<string, unknown> = {}) =>
  event(seq, "credential.issued", minute, { credentialId: id, delegationId: "dlg_0a1b", agent: "claude[bot]", workload, requested: null, granted: { contents: "write", pull_requests: "write" }, githubExpiresAt: at(minute + 60).toISOString(), expiresAt: at(minute + 30).toISOString(), tokenSha256: SHA256, hashedToken: HASHED, installationId: 99, ...extra });
const ended = (seq: number, type: string, id: string, minute: number, trigger: string, github: string) => event(seq, type, minute, { credentialId: id, delegationId: "dlg_0a1b", trigger, tokenSha256: SHA256, hashedToken: HASHED, github });

const decision = event(1, "decision", 0, { conclusion: "success", title: "Countersigned", delegationId: "dlg_0a1b", involvement: "authored", agents: [{ login: "claude[bot]", id: 1, kind: "bot" }], signals: [] }, { sha: HEAD });
const events = [
  decision,
  issued(2, "cred_aa", 1),
  ended(3, "credential.revoked", "cred_aa", 5, "delegation_revoked", "HTTP 204"),
  issued(4, "cred_bb", 6, { workload: { ...workload, actor: HOSTILE, job_workflow_ref: HOSTILE } }),
  ended(5, "credential.revoke_failed", "cred_bb", 36, "effective_expiry", "HTTP 502"),
  ended(6, "credential.expired", "cred_bb", 66, "effective_expiry", "expired at GitHub"),
  issued(7, "cred_cc", 70),
  // An end without its issue (a foreign or truncated log) is not a credential.
  ended(8, "credential.revoked", "cred_zz", 71, "delegation_revoked", "HTTP 204"),
];
const story = buildStory(REPO, 2, events);

describe("the credentials of a story", () => {
  test("each credential once: workload, permissions, validity, and how it ended", () => {
    const credentials = issuedCredentials(story);
    expect(credentials.map((credential) => credential.id)).toEqual(["cred_aa", "cred_bb", "cred_cc"]);
    expect(credentials[0]).toMatchObject({
      seq: 2,
      delegationId: "dlg_0a1b",
      agent: "claude[bot]",
      workload: { issuer: workload.iss, repository: REPO, workflowRef: workload.job_workflow_ref, runId: "9001", actor: "alice" },
      permissions: { contents: "write", pull_requests: "write" },
      githubExpiresAt: at(61).toISOString(),
      expiresAt: at(31).toISOString(),
      ended: { seq: 3, how: "revoked", trigger: "delegation_revoked" },
      revokeFailures: [],
    });
    expect(credentials[1]).toMatchObject({ ended: { seq: 6, how: "expired", trigger: "effective_expiry" }, revokeFailures: [{ seq: 5, trigger: "effective_expiry", github: "HTTP 502" }] });
    expect(credentials[2]?.ended).toBeNull();
  });

  test("the export has each credential, its state and its events; the holder is Countersign", () => {
    const record = buildExportRecord(story, { head: { seq: 8, hash: hash(8) }, exportedAt: at(80) });
    expect(record.credentialHolder).toBe("countersign");
    expect(record.issuedCredentials.map((credential) => [credential.credentialId, credential.state])).toEqual([
      ["cred_aa", "revoked"],
      ["cred_bb", "expired"],
      ["cred_cc", "live"],
    ]);
    expect(record.issuedCredentials[0]).toMatchObject({ issuedAt: at(1).toISOString(), ended: { how: "revoked", trigger: "delegation_revoked", recorded: { seq: 3, hash: hash(3) } }, recorded: { seq: 2 } });
    expect(record.issuedCredentials[1]?.revokeFailures).toEqual([{ trigger: "effective_expiry", github: "HTTP 502", recorded: { seq: 5, hash: hash(5), at: at(36).toISOString() } }]);
    expect(record.credentials.map((credential) => credential.type)).toEqual(["credential.issued", "credential.revoked", "credential.issued", "credential.revoke_failed", "credential.expired", "credential.issued", "credential.revoked"]);
  });

  test("the evidence page and the Markdown tell them, escaped, with no token hash", () => {
    const page = renderEvidencePage(story, { generatedAt: at(80), chainHead: hash(8), repositoryUrl: `https://github.com/${REPO}` });
    const markdown = renderStoryMarkdown(story);
    // Markdown escapes the underscore of a trigger; HTML needs not.
    for (const [text, underscore] of [[page, "_"], [markdown, "\\_"]] as const) {
      expect(text).toContain("cred_aa");
      expect(text).toContain("9001");
      expect(text).toContain(`revoked (delegation${underscore}revoked)`);
      expect(text).toContain(`expired (effective${underscore}expiry)`);
      expect(text).not.toContain(SHA256);
      expect(text).not.toContain(HASHED);
      expect(text).not.toMatch(/(?<!\\)<img/);
      expect(text).not.toContain(VENDOR_HELD);
    }
    expect(page).toContain('<section id="credentials">');
    expect(page).toContain("&lt;img");
    expect(markdown).not.toContain("| [link]");
  });

  test("a vendor-hosted agent's evidence says its credential is vendor-held", () => {
    const vendor = buildStory(REPO, 2, [decision]);
    expect(renderStoryMarkdown(vendor)).toContain(VENDOR_HELD);
    expect(renderEvidencePage(vendor, { generatedAt: at(80), chainHead: hash(1), repositoryUrl: null })).toContain(VENDOR_HELD.replace(/'/g, "&#39;"));
    expect(buildExportRecord(vendor, { head: { seq: 1, hash: hash(1) }, exportedAt: at(80) })).toMatchObject({ issuedCredentials: [], credentialHolder: "vendor" });
  });
});

describe("the check run's credentials line", () => {
  test("one line per delegation credentials were issued under, with how many are live; nothing without credentials", () => {
    expect(credentialsSection(undefined)).toEqual([]);
    expect(credentialsSection([])).toEqual([]);
    expect(credentialsSection([{ delegationId: "dlg_0a1b", issued: 2, live: 1 }])).toEqual([
      "**Credentials:** Countersign issued 2 credentials under delegation `dlg_0a1b` (1 live now); the evidence page names each one's workload, permissions and end.",
    ]);
    expect(credentialsSection([{ delegationId: "dlg_0a1b", issued: 1, live: 0 }])[0]).toContain("1 credential under delegation `dlg_0a1b` (none live now)");
  });
});
