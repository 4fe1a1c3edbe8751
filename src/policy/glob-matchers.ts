import { compileAnyGlob, globProblem } from "./linear-glob.js";

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

const validity = new Map<string, boolean>();

/**
 * As `anyGlobMatcher`, for allow-lists (a delegation's paths and branches, the policy's allowed base
 * branches), except that a pattern that does not compile matches nothing instead of throwing. A
 * delegation recorded before its pattern became unsupported (`!(...)`, say) then allows less, never
 * more, and the pull request is blocked rather than the evaluation failing.
 */
export function allowListMatcher(patterns: readonly string[]): (text: string) => boolean {
  const valid = patterns.filter((pattern) => {
    let known = validity.get(pattern);
    if (known === undefined) {
      known = globProblem(pattern) === null;
      if (validity.size >= MAX_MATCHERS) validity.clear();
      validity.set(pattern, known);
    }
    return known;
  });
  return anyGlobMatcher(valid);
}
