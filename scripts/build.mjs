// Compiles src/ into lib/ (tsc -p tsconfig.build.json).
//
//   node scripts/build.mjs             always compile (`npm run build`)
//   node scripts/build.mjs --if-stale  compile only when the sources changed since lib/ was built
//                                      (`npm install` runs it through postinstall, `npm start` before
//                                      starting, so a restart does not spend seconds in tsc)
//
// "Changed" is decided by content, not by file times: lib/.build-hash holds a SHA-256 of every file
// the compiler reads from this project (src/, including the generated Prisma clients, and the two
// tsconfig files), written only after a successful compile. A checkout, a stash or an edit that
// changes any of them makes the next start compile again; nothing else does.
//
// An install without development dependencies (`npm ci --omit=dev`) has no compiler: a lib/ that is
// already built is used as it is, and a missing one is an error that says how to build it.
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const stampFile = path.join(root, "lib", ".build-hash");
const ifStale = process.argv.includes("--if-stale");

/** Every file under `dir`, as paths relative to the project, in a stable order. */
function filesUnder(dir) {
  const found = [];
  const walk = (current) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) found.push(path.relative(root, full));
    }
  };
  walk(path.join(root, dir));
  return found.sort();
}

function sourceHash() {
  const hash = createHash("sha256");
  for (const file of [...filesUnder("src"), "tsconfig.json", "tsconfig.build.json"]) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(path.join(root, file)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

function compilerPath() {
  try {
    return createRequire(import.meta.url).resolve("typescript/bin/tsc");
  } catch {
    return null;
  }
}

if (!existsSync(path.join(root, "src", "main.ts"))) {
  // An install into a directory without the sources (the Docker build stage's `npm ci`, before src/ is
  // copied in: src/ then holds only the Prisma clients postinstall has just generated): nothing to
  // compile yet.
  console.log("countersign build: the sources are not here yet; skipped");
  process.exit(0);
}

/**
 * `npx countersign` in the project runs package.json's `bin` file itself, which npm makes executable
 * only when it installs the package as someone's dependency: tsc writes it 0644.
 */
function makeCommandExecutable() {
  const bin = path.join(root, "lib", "bin.js");
  if (existsSync(bin)) chmodSync(bin, 0o755);
}

const hash = sourceHash();
const built = existsSync(path.join(root, "lib", "main.js")) && existsSync(stampFile) && readFileSync(stampFile, "utf8").trim() === hash;
if (ifStale && built) {
  makeCommandExecutable();
  process.exit(0);
}

const tsc = compilerPath();
if (!tsc) {
  if (ifStale && existsSync(path.join(root, "lib", "main.js"))) {
    console.log("countersign build: TypeScript is not installed (a production install); using the lib/ already built");
    process.exit(0);
  }
  console.error("countersign build: lib/ is not built and TypeScript is not installed. Run `npm install` (with development dependencies) to build, or use the Docker image, which is built that way and then pruned.");
  process.exit(1);
}

const started = Date.now();
const result = spawnSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.build.json")], { stdio: "inherit", cwd: root });
if (result.status !== 0) process.exit(result.status ?? 1);
makeCommandExecutable();
writeFileSync(stampFile, `${hash}\n`);
console.log(`countersign build: compiled src/ into lib/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
