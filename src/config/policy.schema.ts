import { z } from "zod";
import { credentialsSchema } from "./credentials.schema.js";
import { parseDuration } from "../policy/duration.js";
import { globProblem } from "../policy/linear-glob.js";
import { linearPatternProblem } from "../policy/linear-pattern.js";
import { DEFAULT_TICKET_PATTERN_SOURCE } from "../policy/repo-policy.js";
import { PERMISSION_LEVELS } from "../policy/types.js";

// `.github/countersign.yml`: the policy. Every object is strict: a misspelt key is an error naming the
// key, never a silently ignored setting (a typo in a security policy must not weaken it). Every field
// has a doc comment; the README's configuration reference documents each with an example.

/** A check that `compile` accepts a value (a regular expression, a glob) without throwing. */
function compiles(compile: (text: string) => unknown): (text: string) => boolean {
  return (text) => {
    try {
      compile(text);
      return true;
    } catch {
      return false;
    }
  };
}

// Why each glob does not compile (null: it does), remembered: a policy is validated file by file and
// again merged (up to four passes over the same globs), and compiling one costs tens of microseconds.
const globProblems = new Map<string, string | null>();
const MAX_REMEMBERED_GLOBS = 20_000;

/** Why `text` does not compile as a glob (linear-glob.ts), or null when it does (remembered). */
export function globCompileProblem(text: string): string | null {
  const known = globProblems.get(text);
  if (known !== undefined) return known;
  const problem = globProblem(text);
  if (globProblems.size >= MAX_REMEMBERED_GLOBS) globProblems.clear();
  globProblems.set(text, problem);
  return problem;
}

/** Whether `text` compiles as a glob (remembered). */
export function isValidGlob(text: string): boolean {
  return globCompileProblem(text) === null;
}

/** A zod check that a glob compiles, its issue saying why not: `<what>: <reason>`. */
function compilesAsGlob(what: string) {
  return (text: string, context: z.RefinementCtx) => {
    const problem = globCompileProblem(text);
    if (problem !== null) context.addIssue({ code: "custom", message: `${what}: ${problem}` });
  };
}

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
 * A regular expression for the linear-time engine (RE2 syntax, see policy/linear-pattern.ts): the
 * patterns run on agent-written text, so one that backtracks could stall the app for every
 * installation it serves. A pattern the engine cannot compile is an error naming its key and why.
 */
function linearPattern(options: { caseInsensitive?: boolean }) {
  return z
    .string()
    .min(1)
    .max(200)
    .superRefine((pattern, ctx) => {
      const problem = linearPatternProblem(pattern, options);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });
}

/** A commit trailer that marks agent involvement, e.g. key `Co-authored-by`, pattern `<bot@acme\.dev>`. */
export const trailerRuleSchema = z.strictObject({
  name: z.string().min(1).max(100),
  /** The trailer key, case-insensitive (`Co-authored-by`, `Assisted-by`, ...). */
  key: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, "not a trailer key"),
  /** A regular expression (RE2 syntax) tested against the trailer's value, case-insensitive. */
  pattern: linearPattern({ caseInsensitive: true }),
});

const duration = z.string().refine((text) => parseDuration(text) !== null, "not a duration like 30m, 12h, 7d or 2w (at most 365d)");

const glob = z
  .string()
  .min(1)
  .max(300)
  .refine((text) => !text.startsWith("/") && !text.split("/").includes(".."), "globs are relative to the repository root and may not use \"..\"")
  .superRefine(compilesAsGlob("not a valid glob"));

const branchGlob = z.string().min(1).max(255).superRefine(compilesAsGlob("not a valid branch pattern"));

/** A team, as `slug` (in the repository's organization) or `org/slug`. */
const team = z.string().regex(/^(?:[A-Za-z0-9][A-Za-z0-9-]{0,38}\/)?[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, "not a team: use slug or org/slug");
const githubLogin = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/, "not a GitHub login");
const permissionLevel = z.enum(PERMISSION_LEVELS);

const delegatorsSchema = z.strictObject({
  /** The least repository permission a delegator needs. */
  min_permission: permissionLevel.default("write"),
  /** When set, a delegator must also belong to one of these teams (or be listed in `users`). */
  teams: z.array(team).max(50).default([]),
  /** When set, these people may delegate too (still subject to `min_permission`). */
  users: z.array(githubLogin).max(200).default([]),
});

const taskSchema = z.strictObject({
  /** Whether `/delegate` on a pull request must name a task. */
  required: z.boolean().default(true),
  /** Which task references are accepted: `issue` (#123), `url` (https://...), `ticket` (SEC-142). */
  forms: z.array(z.enum(["issue", "url", "ticket"])).min(1).default(["issue", "url", "ticket"]),
  /** The shape of a ticket key, a regular expression (RE2 syntax). */
  ticket_pattern: linearPattern({}).default(DEFAULT_TICKET_PATTERN_SOURCE),
});

const approversSchema = z.strictObject({
  /** The least repository permission an approver needs. */
  min_permission: permissionLevel.default("write"),
  /** When set, only approvals by members of one of these teams count. */
  teams: z.array(team).max(50).default([]),
});

const exclusionsSchema = z.strictObject({
  /** The delegating owner's approval never counts (loosen only for a solo-maintainer repository). */
  delegator: z.boolean().default(true),
  /** The pull request author's approval never counts. */
  pr_author: z.boolean().default(true),
  /** Authors, committers and co-authors of the PR's commits cannot approve it. */
  commit_authors: z.boolean().default(true),
});

/** When a tier applies: every condition given must hold (a tier with paths and labels needs both). */
export const tierConditionsSchema = z
  .strictObject({
    /** Any changed file matches one of these globs. */
    paths: z.array(glob).max(200).optional(),
    /** The base branch matches one of these patterns. */
    base_branches: z.array(branchGlob).max(50).optional(),
    /** The pull request has one of these labels. */
    labels: z.array(z.string().min(1).max(100)).max(50).optional(),
  })
  .refine((when) => when.paths !== undefined || when.base_branches !== undefined || when.labels !== undefined, "a tier needs at least one condition: paths, base_branches or labels");

/** What a tier adds when it applies. Requirements only ever tighten: the strictest applying value wins. */
export const tierRequirementsSchema = z.strictObject({
  /** Independent approvals needed (the highest of the policy's and every applying tier's). */
  approvals: z.number().int().min(1).max(10).optional(),
  /** At least one counted approval from a member of each of these teams. */
  approver_teams: z.array(team).max(20).optional(),
  /** The delegation may last at most this long (from when it was given). */
  max_delegation_expiry: duration.optional(),
  /** Agents may not change what this tier covers at all, whoever approves. */
  agents_forbidden: z.boolean().optional(),
});

const TIER_NAME = /^[a-z0-9][a-z0-9_-]{0,49}$/;

export const tierSchema = z
  .strictObject({
    /** A name shown in the evidence; a tier named like a built-in one (or the organization's) replaces it. */
    name: z.string().regex(TIER_NAME, "lower-case letters, digits, - and _"),
    /** Set false to switch a tier off by name (then `when` and `require` may be left out). */
    enabled: z.boolean().default(true),
    when: tierConditionsSchema.optional(),
    require: tierRequirementsSchema.optional(),
  })
  .superRefine(
    (tier, ctx) => {
      // `- name: docs` / `enabled: false` is a whole entry: switching a tier off needs nothing else.
      if (tier.enabled === false) return;
      for (const key of ["when", "require"] as const) {
        if (tier[key] === undefined) ctx.addIssue({ code: "custom", path: [key], message: `a tier needs \`${key}\` (only an entry with \`enabled: false\`, which switches a tier off, may leave it out)` });
      }
    },
    // Also when another key of the entry is wrong (a bad name), so every missing part is named at once.
    { when: (payload) => typeof payload.value === "object" && payload.value !== null && !Array.isArray(payload.value) },
  );

/**
 * The keys an organization's file may let repositories relax (`repositories_may_relax`): every key
 * the floor compares, and `tiers.<name>` for one of the organization's (or the built-in) tiers.
 */
export const RELAXABLE_KEYS = [
  "mode",
  "agents.all_apps_are_agents",
  "delegation.required",
  "delegation.implicit_owner",
  "delegation.delegators.min_permission",
  "delegation.delegators.teams",
  "delegation.delegators.users",
  "delegation.task.required",
  "delegation.task.forms",
  "delegation.task.ticket_pattern",
  "delegation.default_expiry",
  "delegation.max_expiry",
  "approvals.required",
  "approvals.approvers.min_permission",
  "approvals.approvers.teams",
  "approvals.exclude.delegator",
  "approvals.exclude.pr_author",
  "approvals.exclude.commit_authors",
  "scope.enforce_paths",
  "scope.base_branches",
  "protected_branches",
] as const;

const relaxableKey = z
  .string()
  .refine(
    (key) => (RELAXABLE_KEYS as readonly string[]).includes(key) || (key.startsWith("tiers.") && TIER_NAME.test(key.slice("tiers.".length))),
    "not a key repositories can be allowed to relax: one of the policy's keys (mode, approvals.required, scope.base_branches, ...) or tiers.<name>",
  );

/** The whole policy file. Every section and key is optional; absent keys take the defaults. */
export const policySchema = z.strictObject({
  /** `enforce` (default) blocks; `evaluate` is a dry run: the check reports what it would decide, as neutral. */
  mode: z.enum(["enforce", "evaluate"]).default("enforce"),
  agents: z
    .strictObject({
      /** Identities added to the built-in agents. */
      identities: z.array(agentIdentitySchema).max(200).default([]),
      /** Trailers added to the built-in ones. */
      trailers: z.array(trailerRuleSchema).max(100).default([]),
      /** Whether every GitHub App bot counts as an agent (false: Dependabot and Renovate are not). */
      all_apps_are_agents: z.boolean().default(false),
    })
    .prefault({}),
  delegation: z
    .strictObject({
      /** Whether an agent's pull request needs a delegation at all (false: approvals alone decide). */
      required: z.boolean().default(true),
      /** Whether the human author of an agent-assisted PR owns it without a command. */
      implicit_owner: z.boolean().default(true),
      /** Who may delegate. */
      delegators: delegatorsSchema.prefault({}),
      /** What a delegation must name as its task. */
      task: taskSchema.prefault({}),
      /** Expiry given to a delegation whose command has no `expires:`; absent = no expiry. */
      default_expiry: duration.optional(),
      /** The longest expiry a command may ask for; absent = no limit. */
      max_expiry: duration.optional(),
    })
    .prefault({}),
  approvals: z
    .strictObject({
      /** Independent human approvals of the head commit needed. */
      required: z.number().int().min(1).max(10).default(1),
      /** Who may approve. */
      approvers: approversSchema.prefault({}),
      /** Whose approval never counts. */
      exclude: exclusionsSchema.prefault({}),
    })
    .prefault({}),
  /** Ordered rules that raise requirements; the built-in `sensitive` tier applies unless replaced. */
  tiers: z
    .array(tierSchema)
    .max(50)
    .default([])
    .superRefine((tiers, ctx) => {
      // A second tier of the same name would silently replace the first: refuse it instead.
      tiers.forEach((tier, index) => {
        if (tiers.findIndex((other) => other.name === tier.name) !== index) ctx.addIssue({ code: "custom", path: [index, "name"], message: `a tier named "${tier.name}" is already defined in this file` });
      });
    }),
  scope: z
    .strictObject({
      /** Whether files outside a delegation's `paths:` block the pull request. */
      enforce_paths: z.boolean().default(true),
      /** Base branches an agent's pull request may target; absent = any (an empty list is a mistake, not "none"). */
      base_branches: z.array(branchGlob).min(1).max(50).optional(),
    })
    .prefault({}),
  /** Branches where an agent's direct push is flagged; absent = the default branch. */
  protected_branches: z.array(branchGlob).min(1).max(50).optional(),
  /**
   * Just-in-time GitHub credentials for agents' workloads (docs/credentials.md); absent = none are
   * issued. Honoured only under an organization's file that has the section (its ceiling).
   */
  credentials: credentialsSchema.optional(),
  /**
   * Only in the organization's file: the organization dashboard (docs/dashboard.md). `teams` are
   * slugs of this organization's teams whose active members may open it, besides the org's owners;
   * absent = owners only.
   */
  dashboard: z
    .strictObject({
      teams: z
        .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, "not a team slug of this organization (a slug such as security-team, without org/)"))
        .max(50),
    })
    .optional(),
  /**
   * Only in the organization's file: the keys a repository's file may set below the organization's
   * value (by default the organization's policy is a floor that repositories can only tighten).
   */
  repositories_may_relax: z
    .array(relaxableKey)
    .max(100)
    .optional()
    .superRefine((keys, ctx) => {
      keys?.forEach((key, index) => {
        if (keys.indexOf(key) !== index) ctx.addIssue({ code: "custom", path: [index], message: `${key} is listed twice` });
      });
    }),
});

/** The validated policy file, defaults filled in. */
export type PolicyConfig = z.infer<typeof policySchema>;
