// "Did you mean …?" for a mistyped command or option. Only an obvious slip is suggested (a couple of
// letters off, or the start of a name): a far-fetched guess misleads more than it helps.

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** The candidate `typed` most likely meant, or null when none is close enough to be obvious. */
export function closestName(typed: string, candidates: readonly string[]): string | null {
  const word = typed.toLowerCase();
  if (word.length >= 3) {
    const prefixed = candidates.filter((candidate) => candidate.startsWith(word));
    if (prefixed.length === 1) return prefixed[0] as string;
  }
  const limit = word.length <= 4 ? 1 : 2;
  let best: { name: string; distance: number } | null = null;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance <= limit && (!best || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name ?? null;
}
