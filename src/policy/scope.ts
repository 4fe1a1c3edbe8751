import { allowListMatcher } from "./glob-matchers.js";

/**
 * Files outside a delegation's `paths:` scope. An empty scope means the whole repository. Globs match
 * dotfiles too (`.github/**`): a scope is an allow-list, and hidden files are no less sensitive.
 */
export function filesOutsideScope(files: readonly string[], scopePaths: readonly string[]): string[] {
  if (scopePaths.length === 0) return [];
  const inScope = allowListMatcher(scopePaths);
  return files.filter((file) => !inScope(file));
}
