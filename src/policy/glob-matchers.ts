import { compileGlob } from "./linear-glob.js";

// Compiled glob matchers, by pattern. Compiling a glob costs tens of microseconds; a policy with
// thousands of them would otherwise hold the event loop for a tenth of a second each time one of its
// versions is compiled. The loader compiles a new file's globs here a few at a time, yielding between
// them (`prepareGlobs`), so that compiling the policy itself then finds every matcher ready. Pure
// memoisation: a pattern always compiles to the same matcher.

const matchers = new Map<string, (path: string) => boolean>();
const MAX_MATCHERS = 20_000;

/**
 * The matcher of one glob (dotfiles included: `.github/**` must match), compiled once, matching in
 * linear time (linear-glob.ts). Throws for an invalid glob: every glob is validated before it is used.
 */
export function globMatcher(pattern: string): (path: string) => boolean {
  const known = matchers.get(pattern);
  if (known) return known;
  const compiled = compileGlob(pattern);
  const matcher = (path: string) => compiled.matches(path);
  if (matchers.size >= MAX_MATCHERS) matchers.clear();
  matchers.set(pattern, matcher);
  return matcher;
}

/**
 * A matcher that matches when any of `patterns` does (none: nothing matches), as picomatch matched an
 * array: a negated pattern in it (`!main`) matches every text it does not exclude.
 */
export function anyGlobMatcher(patterns: readonly string[]): (path: string) => boolean {
  const each = patterns.map(globMatcher);
  return (path) => each.some((matcher) => matcher(path));
}
