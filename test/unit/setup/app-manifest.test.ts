import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "@jest/globals";
import { buildManifest, readAppYml } from "../../../src/setup/app-manifest.js";

const dir = mkdtempSync(path.join(tmpdir(), "countersign-manifest-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function appYml(text: string): string {
  const file = path.join(dir, `app-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, text);
  return file;
}

describe("app.yml", () => {
  test("the package's own is a valid manifest, private to the account that registers it", () => {
    const manifest = readAppYml();
    expect(manifest).toMatchObject({ name: "Countersign", public: false });
    expect(manifest.default_events).toEqual(expect.arrayContaining(["pull_request", "pull_request_review", "issue_comment", "issues", "push", "check_run", "check_suite"]));
  });

  test.each([
    ["an unknown key (GitHub would drop it silently)", "name: A\ndescription: d\nurl: https://x.dev\npublic: false\ndefault_events: [push]\ndefault_permissions: {checks: write}\nhook_url: https://x\n", /hook_url/],
    ["a misspelt access level", "name: A\ndescription: d\nurl: https://x.dev\npublic: false\ndefault_events: [push]\ndefault_permissions: {checks: writ}\n", /default_permissions\.checks/],
    ["a name GitHub refuses (over 34 characters)", `name: ${"A".repeat(35)}\ndescription: d\nurl: https://x.dev\npublic: false\ndefault_events: [push]\ndefault_permissions: {checks: write}\n`, /name/],
    ["the webhook address fixed in the file (it depends on where the app runs)", "name: A\ndescription: d\nurl: https://x.dev\npublic: false\ndefault_events: [push]\ndefault_permissions: {checks: write}\nhook_attributes: {url: https://x}\n", /hook_attributes/],
  ])("%s is refused, naming the file and key", (_description, text, key) => {
    const file = appYml(text);
    expect(() => readAppYml(file)).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is not a valid GitHub App manifest: .*${key.source}`));
  });

  test("the manifest adds this copy's webhook and callback addresses, and keeps every other field as written", () => {
    const base = readAppYml();
    const manifest = buildManifest({ ...base, description: `It's "quoted" & <marked>` }, { baseUrl: "https://cs.acme.dev", webhookPath: "/api/github/webhooks" });
    expect(manifest).toEqual({ ...base, description: `It's "quoted" & <marked>`, hook_attributes: { url: "https://cs.acme.dev/api/github/webhooks", active: true }, redirect_url: "https://cs.acme.dev/probot/setup", callback_urls: ["https://cs.acme.dev/countersign/oauth/callback"], request_oauth_on_install: false });
  });
});
