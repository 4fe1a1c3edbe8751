import { compileAnyGlob } from "./linear-glob.js";

// Compiled glob matchers, by list of patterns. Compiling a glob costs tens of microseconds; a policy
// with thousands of them would otherwise hold the event loop for a tenth of a second each time one of
// its versions is compiled. The loader compiles a new file's glob lists here a few at a time, yielding
// between them (`prepareGlobs`), so that compiling the policy itself then finds every matcher ready.
// Pure memoisation: a list always compiles to the same matcher. Matching is linear-time
// (linear-glob.ts): the paths and branch names matched are agent-written.

const matchers = new Map<string, (text: string) => boolean>();
const MAX_MATCHERS = 20_000;

/**
 * A matcher that matches when any of `patterns` does (none: nothing matches), as picomatch matched an
 * array: a negated pattern in it (`!main`) matches every text it does not exclude. Globs match
 * dotfiles (`.github/**` must match). Compiled once per list, into one linear-time pattern. Throws for
 * an invalid glob: every glob is validated before it is used.
 */
export function anyGlobMatcher(patterns: readonly string[]): (text: string) => boolean {
  const key = JSON.stringify(patterns);
  const known = matchers.get(key);
  if (known) return known;
  const compiled = compileAnyGlob(patterns);
  const matcher = (text: string) => compiled.matches(text);
  if (matchers.size >= MAX_MATCHERS) matchers.clear();
  matchers.set(key, matcher);
  return matcher;
}

/** The matcher of one glob, compiled once. */
export function globMatcher(pattern: string): (text: string) => boolean {
  return anyGlobMatcher([pattern]);
}
