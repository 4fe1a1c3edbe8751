import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "@jest/globals";
import { envSchema } from "../../src/config/env.schema.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { dockerignore } from "../../scripts/docker-context.mjs";

// The image cannot be built in the test run (no Docker engine here; CI builds it where one runs, and
// scripts/rehearse-docker-build.mjs executes its steps without one). So the Dockerfile's steps are
// executed here in intent: the build stage's filesystem is modelled from its COPY lines (applied to
// this repository, honouring .dockerignore) and what its RUN steps produce, and every file the runtime
// stage takes from it must be there. And docs/deployment.md must name every variable and metric.
const root = path.resolve(import.meta.dirname, "../..");
const read = (file: string) => readFileSync(path.join(root, file), "utf8");
const posix = path.posix;

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

/** A COPY instruction's flags (`--from=build`), sources and destination, in either form (plain or JSON). */
function parseCopy(instruction: string): { from: string | null; sources: string[]; dest: string } {
  const words = instruction.trim().split(/\s+/);
  const flags = words.slice(0, Math.max(0, words.findIndex((word) => !word.startsWith("--"))));
  const rest = words.slice(flags.length).join(" ");
  const operands = rest.startsWith("[") ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
  const from = flags.find((flag) => flag.startsWith("--from="))?.slice("--from=".length) ?? null;
  return { from, sources: operands.slice(0, -1), dest: operands.at(-1) ?? "" };
}

const ignored = dockerignore(read(".dockerignore"));

/** The context-relative files under `source` (a file or a directory of this repository) that .dockerignore lets into the build. */
function contextFiles(source: string): string[] {
  const relative = posix.normalize(source).replace(/^\/+|\/+$/g, "");
  const absolute = path.join(root, relative);
  if (!existsSync(absolute)) return [];
  if (!statSync(absolute).isDirectory()) return ignored(relative) ? [] : [relative];
  return readdirSync(absolute, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => posix.join(path.relative(root, entry.parentPath).split(path.sep).join("/"), entry.name))
    .filter((file) => !ignored(file));
}

// What the build stage's RUN steps read and produce, by the command (a path ending in `/` is a
// directory, whole), relative to the WORKDIR the step runs in. Declared here, as the test cannot run
// them; scripts/rehearse-docker-build.mjs does.
const steps: Record<string, { needs: string[]; produces: string[] }> = {
  // The install, then its postinstall: scripts/generate-prisma.mjs generates the Prisma clients into
  // src/db/generated, and scripts/build.mjs, finding no src/main.ts yet, compiles nothing.
  "npm ci": {
    needs: ["package.json", "package-lock.json", "scripts/generate-prisma.mjs", "scripts/build.mjs", "prisma/schema.prisma"],
    produces: ["node_modules/", "src/db/generated/sqlite/", "src/db/generated/postgres/", "prisma/schema.postgres.prisma"],
  },
  // scripts/build.mjs: tsc -p tsconfig.build.json, src/ into lib/, the generated clients included.
  "npm run build": {
    needs: ["node_modules/", "scripts/build.mjs", "tsconfig.json", "tsconfig.build.json", "src/main.ts", "src/db/generated/sqlite/"],
    produces: ["lib/main.js", "lib/bin.js", "lib/db/generated/sqlite/", "lib/db/generated/postgres/"],
  },
  "mkdir -p /app/data": { needs: [], produces: ["/app/data/"] },
};

/** A stage's filesystem: the absolute paths of its files, and of directories (ending in `/`) made whole. */
type Tree = Set<string>;

const holds = (tree: Tree, target: string) => {
  const clean = target.replace(/\/+$/, "");
  return [...tree].some((entry) => entry === clean || entry.startsWith(`${clean}/`));
};

/** Copies `files` (absolute in their stage, or context-relative) under `sourceRoot` to `dest`, as COPY does. */
function copyInto(tree: Tree, files: string[], source: string, dest: string, isDirectory: boolean, many: boolean) {
  const sourceRoot = source.replace(/\/+$/, "");
  for (const file of files) {
    if (isDirectory) tree.add(posix.join(dest, file.slice(sourceRoot.length + 1)) + (file.endsWith("/") ? "/" : ""));
    else tree.add(dest.endsWith("/") || many ? posix.join(dest, posix.basename(file)) : dest);
  }
}

/** Executes a stage's COPY, WORKDIR and RUN steps in intent; `from` resolves `COPY --from=<stage>`. */
function model(stage: Instruction[], from: Record<string, Tree>): { tree: Tree; workdir: string; problems: string[] } {
  const tree: Tree = new Set();
  const problems: string[] = [];
  let workdir = "/";
  for (const { keyword, args: text } of stage) {
    if (keyword === "WORKDIR") workdir = posix.resolve(workdir, text);
    if (keyword === "RUN") {
      const commands = text.split(/&&|;/).map((command) => command.trim());
      for (const [command, { needs, produces }] of Object.entries(steps)) {
        if (!commands.some((run) => run === command || run.startsWith(`${command} `))) continue;
        for (const needed of needs) if (!holds(tree, posix.resolve(workdir, needed))) problems.push(`RUN ${command}: needs ${needed}, which is not there yet`);
        for (const product of produces) tree.add(posix.resolve(workdir, product) + (product.endsWith("/") ? "/" : ""));
      }
    }
    if (keyword !== "COPY") continue;
    const copy = parseCopy(text);
    const dest = posix.resolve(workdir, copy.dest) + (copy.dest.endsWith("/") ? "/" : "");
    for (const source of copy.sources) {
      if (copy.from === null) {
        const files = contextFiles(source);
        if (files.length === 0) problems.push(`COPY ${source}: everything in it is excluded by .dockerignore`);
        const isDirectory = statSync(path.join(root, source)).isDirectory();
        copyInto(tree, files, source, dest, isDirectory, copy.sources.length > 1);
        continue;
      }
      const other = from[copy.from];
      const absolute = posix.resolve("/", source);
      if (!other || !holds(other, absolute)) {
        problems.push(`COPY --from=${copy.from} ${source}: not in the ${copy.from} stage`);
        continue;
      }
      const exact = other.has(absolute);
      const files = exact ? [absolute] : [...other].filter((entry) => entry.startsWith(`${absolute.replace(/\/+$/, "")}/`));
      copyInto(tree, files, absolute, dest, !exact, copy.sources.length > 1);
    }
  }
  return { tree, workdir, problems };
}

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile");
  const [build = [], runtime = [], ...extra] = stages(dockerfile);
  const buildStage = model(build, {});
  const runtimeStage = model(runtime, { build: buildStage.tree });

  test("is multi-stage: a build stage and a runtime stage, both on Node 24 (Debian bookworm, slim)", () => {
    expect(extra).toEqual([]);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim$/m);
    expect(args(build, "FROM")).toEqual(["${NODE_IMAGE} AS build"]);
    expect(args(runtime, "FROM")).toEqual(["${NODE_IMAGE} AS runtime"]);
  });

  test("the build stage's COPY sources are in the build context (not excluded), and each RUN step finds what it reads", () => {
    expect(buildStage.problems).toEqual([]);
  });

  test("every COPY --from=build source exists in the build stage after its COPY lines and RUN steps", () => {
    expect(runtimeStage.problems).toEqual([]);
  });

  test("the runtime stage holds the compiled app, its dependencies, the migrations, package.json and app.yml, and nothing else", () => {
    const top = new Set([...runtimeStage.tree].filter((entry) => entry.startsWith("/app/")).map((entry) => entry.split("/")[2]));
    expect([...top].sort()).toEqual(["app.yml", "data", "lib", "node_modules", "package.json", "prisma"]);
    const [, script] = JSON.parse(args(runtime, "CMD")[0] ?? "[]") as string[];
    for (const needed of [script ?? "lib/main.js", "prisma/migrations/sqlite", "prisma/migrations/postgres", "prisma/schema.prisma", "app.yml"]) {
      expect({ needed, present: holds(runtimeStage.tree, posix.resolve(runtimeStage.workdir, needed)) }).toEqual({ needed, present: true });
    }
  });

  test("builds with the native toolchain, a clean install, the compiler, then drops development dependencies", () => {
    const run = args(build, "RUN").join(" && ");
    expect(run).toMatch(/apt-get install -y --no-install-recommends python3 make g\+\+/);
    const order = ["npm ci", "npm run build", "test -d lib/db/generated/sqlite", "npm prune --omit=dev"].map((step) => run.indexOf(step));
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // The prune comes after the last step that needs a development dependency. It omits optional
    // dependencies too: @prisma/client declares prisma and typescript as optional peers, which makes
    // npm keep them ("devOptional") under --omit=dev alone.
    expect(run.lastIndexOf("npm prune --omit=dev")).toBeGreaterThan(run.lastIndexOf("npm run build"));
    expect(run).toMatch(/npm prune --omit=dev --omit=optional /);
  });

  test("the build tools (the Prisma CLI, TypeScript) are development dependencies, which the prune removes", () => {
    const pkg = JSON.parse(read("package.json")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies).filter((name) => name === "prisma" || name === "typescript")).toEqual([]);
    expect(Object.keys(pkg.devDependencies)).toEqual(expect.arrayContaining(["prisma", "typescript"]));
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

  test(".dockerignore keeps secrets, local databases and build output out of the build context, at any depth", () => {
    const kept = [".env", ".env.production", "app.pem", "src/config/app.pem", "scripts/deploy.key", "prisma/.env", "data/countersign.db", "prisma/dev.db", "prisma/dev.db-wal", ".git/config", "node_modules/x/index.js", "lib/main.js", "src/db/generated/sqlite/index.js"];
    expect(kept.filter((file) => !ignored(file))).toEqual([]);
    expect(["package.json", "package-lock.json", "app.yml", "src/main.ts", "prisma/migrations/sqlite/migration_lock.toml"].filter(ignored)).toEqual([]);
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
    expect(names).toHaveLength(9);
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
