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
    }, "not a valid regular expression"),
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
