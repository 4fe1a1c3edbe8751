import { z } from "zod";

// `.github/countersign.yml`. Every object is strict: a misspelt key is an error naming the key, never
// a silently ignored setting (a typo in a security policy must not weaken it).

/** An agent identity added by the repository (or its org's `.github` repository, via `_extends`). */
export const agentIdentitySchema = z.strictObject({
  /** Shown in the evidence, e.g. "Acme release agent". */
  name: z.string().min(1).max(100),
  /** Numeric GitHub account ids: matched first, they survive renames. */
  ids: z.array(z.number().int().positive()).max(100).default([]),
  /** Logins: `name[bot]` for a GitHub App bot, a plain login for a machine user. */
  logins: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}(\[bot\])?$/, "not a GitHub login")).max(100).default([]),
});

/**
 * Whether a regular expression quantifies a group that itself contains a quantifier (`(a+)+`,
 * `(\\w*)*`, `(x{2,})+`): the shape that makes backtracking exponential. Patterns run on
 * agent-written commit messages, so one such pattern in one repository's config could stall the app
 * for every installation it serves; they are refused instead.
 */
export function hasNestedQuantifier(pattern: string): boolean {
  const groups: boolean[] = []; // per open group: does it contain a quantifier?
  let inClass = false;
  let lastClosedHadQuantifier = false;
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index];
    if (char === "\\") {
      index += 1;
      lastClosedHadQuantifier = false;
      continue;
    }
    if (inClass) {
      if (char === "]") inClass = false;
      continue;
    }
    if (char === "[") {
      inClass = true;
      lastClosedHadQuantifier = false;
    } else if (char === "(") {
      groups.push(false);
      lastClosedHadQuantifier = false;
    } else if (char === ")") {
      const inner = groups.pop() ?? false;
      if (inner && groups.length > 0) groups[groups.length - 1] = true;
      lastClosedHadQuantifier = inner;
      continue;
    } else if (char === "*" || char === "+" || char === "{") {
      if (lastClosedHadQuantifier) return true;
      if (groups.length > 0) groups[groups.length - 1] = true;
    } else if (char !== "?") {
      lastClosedHadQuantifier = false;
    }
  }
  return false;
}

/** A commit trailer that marks agent involvement, e.g. key `Co-authored-by`, pattern `<bot@acme\.dev>`. */
export const trailerRuleSchema = z.strictObject({
  name: z.string().min(1).max(100),
  /** The trailer key, case-insensitive (`Co-authored-by`, `Assisted-by`, ...). */
  key: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, "not a trailer key"),
  /** A regular expression tested against the trailer's value, case-insensitive. */
  pattern: z
    .string()
    .min(1)
    .max(200)
    .refine((pattern) => {
      try {
        new RegExp(pattern, "i");
        return true;
      } catch {
        return false;
      }
    }, "not a valid regular expression")
    .refine((pattern) => !hasNestedQuantifier(pattern), "nested quantifiers such as (a+)+ are not allowed (they can make matching take exponential time)"),
});

export const repoConfigSchema = z.strictObject({
  agents: z
    .strictObject({
      /** Identities added to the built-in list of coding agents. */
      identities: z.array(agentIdentitySchema).max(200).default([]),
      /** Trailers added to the built-in list. */
      trailers: z.array(trailerRuleSchema).max(100).default([]),
    })
    .default({ identities: [], trailers: [] }),
  delegation: z
    .strictObject({
      /**
       * When true (default), the human who opens an agent-assisted PR is its owner without a
       * `/delegate` command. Set false to require an explicit delegation for those too.
       */
      implicit_owner: z.boolean().default(true),
    })
    .default({ implicit_owner: true }),
  approvals: z
    .strictObject({
      /** Independent human approvals of the head commit needed to pass (default 1). */
      required: z.number().int().min(1).max(10).default(1),
    })
    .default({ required: 1 }),
});

export type RepoConfig = z.infer<typeof repoConfigSchema>;
