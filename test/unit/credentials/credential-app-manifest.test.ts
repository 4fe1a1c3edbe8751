import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "@jest/globals";
import { parse } from "yaml";
import { z } from "zod";
import { CREDENTIAL_PERMISSIONS } from "../../../src/config/credentials.schema.js";
import { appYmlSchema, readAppYml } from "../../../src/setup/app-manifest.js";

// credential-app.yml is registered by hand or through GitHub's manifest flow, as app.yml is: checked
// here as GitHub reads a manifest (the same strict schema as app.yml, with no webhook), and against
// what the exchange mints, since a permission the app lacks can never be granted.

const root = path.resolve(import.meta.dirname, "../../..");
const manifestSchema = appYmlSchema.extend({
  // The credential app receives no events: the gate does.
  default_events: z.array(z.string()).max(0),
  hook_attributes: z.strictObject({ active: z.literal(false) }),
});

const manifest = manifestSchema.parse(parse(readFileSync(path.join(root, "credential-app.yml"), "utf8")));

test("credential-app.yml is a GitHub App manifest with no webhook, named apart from the gate", () => {
  expect(manifest.name).not.toBe(readAppYml().name);
  expect(manifest.public).toBe(false);
});

test("it can carry every permission the exchange grants except workflows, which a policy must ask for", () => {
  for (const permission of CREDENTIAL_PERMISSIONS.filter((name) => name !== "workflows")) expect(manifest.default_permissions[permission]).toBe("write");
  expect(manifest.default_permissions.workflows).toBeUndefined();
  // Nothing beyond what agents' tokens are for (and metadata, which every app has).
  expect(Object.keys(manifest.default_permissions).sort()).toEqual(["contents", "issues", "metadata", "pull_requests"]);
});

test("the gate itself stays read-mostly: it cannot write code, pull requests or workflows", () => {
  const gate = readAppYml().default_permissions;
  for (const permission of ["contents", "pull_requests", "workflows", "administration"]) expect(gate[permission] ?? "none").not.toMatch(/write|admin/);
});
