import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseEnv } from "node:util";
import { afterEach, describe, expect, test } from "@jest/globals";
import { updateEnvFile } from "../../../src/setup/env-file.js";

const PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQ\nabc+/=\n-----END PRIVATE KEY-----\n";
const dirs: string[] = [];
function envFile(content?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "countersign-env-"));
  dirs.push(dir);
  const file = path.join(dir, ".env");
  if (content !== undefined) writeFileSync(file, content);
  return file;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("updateEnvFile", () => {
  test("writes values Node's own .env loader reads back exactly, a private key included", () => {
    const file = envFile();
    updateEnvFile(file, { APP_ID: "4242", PRIVATE_KEY: PEM, WEBHOOK_SECRET: "s3cr3t" }, "registered");
    expect(parseEnv(readFileSync(file, "utf8"))).toEqual({ APP_ID: "4242", PRIVATE_KEY: PEM, WEBHOOK_SECRET: "s3cr3t" });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test("keeps the other lines and comments, and replaces earlier values of the same keys, multi-line ones too", () => {
    const file = envFile(`# mine\nLOG_LEVEL=debug\nAPP_ID=1\nPRIVATE_KEY="-----BEGIN PRIVATE KEY-----\nold\n-----END PRIVATE KEY-----"\nPORT=4000\n`);
    updateEnvFile(file, { APP_ID: "4242", PRIVATE_KEY: PEM });
    const text = readFileSync(file, "utf8");
    expect(parseEnv(text)).toEqual({ LOG_LEVEL: "debug", PORT: "4000", APP_ID: "4242", PRIVATE_KEY: PEM });
    expect(text.startsWith("# mine\nLOG_LEVEL=debug\n")).toBe(true);
    expect(text).not.toContain("old");
  });

  test("a value it cannot write safely is refused, not mangled", () => {
    expect(() => updateEnvFile(envFile(), { X: 'a"b' })).toThrow(/double quote/);
  });
});
