/** A parsed duration such as `30m`, `12h`, `7d`, `2w`. */
export interface Duration {
  text: string;
  milliseconds: number;
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** The longest duration Countersign accepts anywhere (a delegation, a tier's maximum). */
export const MAX_DURATION_MS = 365 * UNIT_MS.d;

/** Parses `30m`, `12h`, `7d`, `2w` (case-insensitive); null when malformed, zero or over 365 days. */
export function parseDuration(text: string): Duration | null {
  const match = /^(\d{1,6})([mhdw])$/.exec(text.toLowerCase());
  if (!match) return null;
  const milliseconds = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (milliseconds <= 0 || milliseconds > MAX_DURATION_MS) return null;
  return { text, milliseconds };
}

/** A duration in the largest whole unit, for messages: `36h`, `2w`, `90m`. */
export function formatDuration(milliseconds: number): string {
  for (const [unit, size] of [["w", UNIT_MS.w], ["d", UNIT_MS.d], ["h", UNIT_MS.h]] as const) {
    if (milliseconds % size === 0) return `${milliseconds / size}${unit}`;
  }
  return `${Math.ceil(milliseconds / UNIT_MS.m)}m`;
}
