// What of this repository reaches a Docker build: .dockerignore's rules, as the image's build reads them.
// Shared by the rehearsal of the image build (rehearse-docker-build.mjs) and the Dockerfile's unit test.
import path from "node:path";
import picomatch from "picomatch";

const posix = path.posix;

/**
 * Docker's .dockerignore rules for the patterns ours uses: paths relative to the context, `*` within a
 * segment, `**` across them, `!` re-includes, the last matching rule wins, and a matched directory
 * excludes everything under it.
 */
export function dockerignore(text) {
  const rules = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const negated = line.startsWith("!");
      const pattern = posix.normalize(negated ? line.slice(1) : line).replace(/^\/+|\/+$/g, "");
      return { negated, matches: picomatch(pattern, { dot: true }) };
    });
  return (file) => {
    const prefixes = file.split("/").map((_, index, parts) => parts.slice(0, index + 1).join("/"));
    let ignored = false;
    for (const rule of rules) if (prefixes.some((prefix) => rule.matches(prefix))) ignored = !rule.negated;
    return ignored;
  };
}
