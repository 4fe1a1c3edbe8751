import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "@jest/globals";
import { envSchema } from "../../src/config/env.schema.js";
import { createMetrics } from "../../src/observability/metrics.js";

// The image cannot be built in the test run (no Docker daemon), so its essentials are checked in the
// Dockerfile's text; and docs/deployment.md must name every variable and metric the code has.
const root = path.resolve(import.meta.dirname, "../..");
const read = (file: string) => readFileSync(path.join(root, file), "utf8");

interface Instruction {
  keyword: string;
  args: string;
}

/** The Dockerfile's instructions per stage, continuation lines joined and comments dropped. */
function stages(dockerfile: string): Instruction[][] {
  const instructions = dockerfile
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [keyword = "", ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    });
  const result: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") result.push([]);
    result.at(-1)?.push(instruction);
  }
  return result;
}

const args = (stage: Instruction[], keyword: string) => stage.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args);

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile");
  const [build = [], runtime = [], ...extra] = stages(dockerfile);

  test("is multi-stage: a build stage and a runtime stage, both on Node 20 (Debian bookworm, slim)", () => {
    expect(extra).toEqual([]);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(args(build, "FROM")).toEqual(["${NODE_IMAGE} AS build"]);
    expect(args(runtime, "FROM")).toEqual(["${NODE_IMAGE} AS runtime"]);
  });

  test("builds with the native toolchain, a clean install, the compiler, then drops development dependencies", () => {
    const run = args(build, "RUN").join(" && ");
    expect(run).toMatch(/apt-get install -y --no-install-recommends python3 make g\+\+/);
    const order = ["npm ci", "npm run build", "test -d lib/db/generated/sqlite", "npm prune --omit=dev"].map((step) => run.indexOf(step));
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  test("the runtime stage holds only the compiled app, its dependencies, migrations, package.json and app.yml", () => {
    const copied = args(runtime, "COPY").map((copy) => {
      expect(copy).toMatch(/^--from=build /);
      return copy.replace(/^--from=build /, "").split(/\s+/).slice(0, -1);
    });
    expect(copied.flat().sort()).toEqual(["/app/app.yml", "/app/lib/", "/app/node_modules/", "/app/package.json", "/app/prisma/"]);
  });

  test("runs as a non-root user, in production mode, listening on all interfaces on port 3000", () => {
    const users = args(runtime, "USER");
    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
    expect(args(runtime, "ENV").join(" ")).toMatch(/NODE_ENV=production/);
    expect(args(runtime, "ENV").join(" ")).toMatch(/HOST=0\.0\.0\.0/);
    expect(args(runtime, "EXPOSE")).toEqual(["3000"]);
    // USER comes before the command, so nothing the app runs is root.
    expect(runtime.findIndex((instruction) => instruction.keyword === "USER")).toBeLessThan(runtime.findIndex((instruction) => instruction.keyword === "CMD"));
  });

  test("checks /healthz with Node (the image has no curl) and starts the app, which migrates at start", () => {
    const [healthcheck = ""] = args(runtime, "HEALTHCHECK");
    const command = JSON.parse(healthcheck.slice(healthcheck.indexOf("CMD ") + 4)) as string[];
    expect(command.slice(0, 2)).toEqual(["node", "-e"]);
    expect(command[2]).toContain("path: '/healthz'");
    expect(JSON.parse(args(runtime, "CMD")[0] ?? "null")).toEqual(["node", "lib/main.js"]);
  });

  test(".dockerignore keeps secrets, local databases and build output out of the build context", () => {
    const ignored = read(".dockerignore")
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"));
    expect(ignored).toEqual(expect.arrayContaining([".env", "*.pem", "data/", "*.db", "node_modules/", "lib/", ".git/"]));
  });
});

describe("docs/deployment.md", () => {
  const doc = read("docs/deployment.md");

  test("documents every variable Countersign reads, and Probot's essential ones", () => {
    const variables = [...Object.keys(envSchema.shape), "PRIVATE_KEY", "PRIVATE_KEY_PATH", "WEBHOOK_SECRET", "GHE_HOST", "PORT", "HOST"];
    // The names in the first cell of a table row (`| \`PORT\`, \`HOST\` | …`).
    const documented = new Set(
      doc
        .split("\n")
        .filter((line) => line.startsWith("| "))
        .flatMap((line) => [...(line.split("|")[1] ?? "").matchAll(/`([A-Z_]+)`/g)].map((match) => match[1])),
    );
    expect(variables.filter((name) => !documented.has(name))).toEqual([]);
  });

  test("documents every Countersign metric /metrics serves", async () => {
    const names = (await createMetrics({ processMetrics: false }).registry.getMetricsAsJSON()).map((metric) => metric.name);
    expect(names).toHaveLength(8);
    expect(names.filter((name) => !doc.includes(`| \`${name}\` |`))).toEqual([]);
  });

  test("documents the three operations endpoints, and the README links to it", () => {
    for (const endpoint of ["GET /healthz", "GET /readyz", "GET /metrics"]) expect(doc).toContain(`| \`${endpoint}\` |`);
    const readme = read("README.md");
    const operations = readme.slice(readme.indexOf("## Operations"), readme.indexOf("## Development"));
    expect(operations).toContain("[docs/deployment.md](docs/deployment.md)");
    for (const endpoint of ["/healthz", "/readyz", "/metrics"]) expect(operations).toContain(`\`GET ${endpoint}\``);
  });
});
