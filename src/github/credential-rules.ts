import type { ProbotOctokit } from "probot";
import { z } from "zod";
import { createRepositoryToken, credentialInstallation, revokeOwnToken } from "./credential-app.js";

// The setup doctor's second question, asked only where Countersign issues credentials: do the rules in
// force on a base branch keep the credential app's bot from pushing to it directly? GitHub cannot
// scope an installation token to branches (docs/credentials.md, section 8), so a ruleset is the only
// thing that keeps an agent's token off `main`.
//
// Asked as the bot itself: GitHub's "Get a repository ruleset" answers `current_user_can_bypass` for
// whoever asks, so the reads authenticate as the credential app's installation on that one
// repository, with a token minted for `metadata: read` only and revoked as soon as the reads are done.
// Fail closed in wording: protection is claimed only when GitHub said, for a ruleset that blocks
// direct pushes, that the bot can never bypass it.

/** A repository, by owner, name and id (the token is minted for the id). */
type RepoRef = { owner: string; name: string; id: number };

/** Whether the rules in force on a branch keep the credential app's bot from pushing to it directly. */
export type CredentialRulesStatus =
  /** At least one active ruleset blocks direct pushes and GitHub says the bot can never bypass it. */
  | { state: "in-force"; rulesets: string[] }
  /** No such ruleset: none blocks direct pushes, or the bot can bypass every one that does (named with how). */
  | { state: "not-in-force"; bypassable: Array<{ name: string; bypass: string }> }
  /** The credential app is not installed on the repository: no token for it can be issued. */
  | { state: "not-installed" }
  /** GitHub did not answer every read the answer depends on. */
  | { state: "unknown"; reason: string };

/**
 * The rule types that stop a direct push to an existing branch: `update` (restrict updates) refuses
 * every push, `pull_request` (require a pull request before merging) every push that is not a merge
 * of one. `non_fast_forward`, `deletion` and `creation` stop force-pushes, deletion and creation only.
 */
export const PUSH_BLOCKING_RULES: readonly string[] = ["update", "pull_request"];

/** A rule in force on the branch, as "Get rules for a branch" names it. */
export interface BranchRule {
  type: string;
  /** The ruleset it belongs to (null: GitHub did not say, so nobody can say who may bypass it). */
  rulesetId: number | null;
}

/** What "Get a repository ruleset" said about one ruleset, asked as the bot, or why it could not be read. */
export type RulesetAnswer = { name: string; bypass: string | null } | { error: string };

/**
 * The doctor's verdict from what GitHub said (pure): in force when some ruleset with a push-blocking
 * rule says the bot's bypass is `never`. `always`, `pull_requests_only` (the bot could merge its own
 * pull request past the rules) and `exempt` are bypasses; a missing answer or a failed read is not
 * knowledge, so it can only make the verdict unknown, never in force.
 */
export function interpretBotRules(rules: readonly BranchRule[], rulesets: ReadonlyMap<number, RulesetAnswer>): CredentialRulesStatus {
  const blocking = rules.filter((rule) => PUSH_BLOCKING_RULES.includes(rule.type));
  const protecting: string[] = [];
  const bypassable: Array<{ name: string; bypass: string }> = [];
  const unconfirmed: string[] = [];
  if (blocking.some((rule) => rule.rulesetId === null)) unconfirmed.push("a rule GitHub named no ruleset for");
  for (const id of new Set(blocking.flatMap((rule) => (rule.rulesetId === null ? [] : [rule.rulesetId])))) {
    const answer = rulesets.get(id);
    if (!answer) unconfirmed.push(`ruleset ${id} (not read)`);
    else if ("error" in answer) unconfirmed.push(`ruleset ${id} (${answer.error})`);
    else if (answer.bypass === "never") protecting.push(answer.name);
    else if (answer.bypass === null) unconfirmed.push(`ruleset ${id} (GitHub did not say whether the credential app may bypass it)`);
    else bypassable.push({ name: answer.name, bypass: answer.bypass });
  }
  if (protecting.length > 0) return { state: "in-force", rulesets: protecting };
  if (unconfirmed.length > 0) return { state: "unknown", reason: `could not read ${unconfirmed.join(", ")}` };
  return { state: "not-in-force", bypassable };
}

/** The credential app's clients, as the wiring makes them (the JWT is signed outside this layer). */
export interface CredentialAppClients {
  /** An Octokit authenticated as the credential app itself (a fresh JWT). */
  appOctokit(): Promise<ProbotOctokit>;
  /** An Octokit authenticated with `token`. */
  octokitWithToken(token: string): ProbotOctokit;
}

const branchRulesSchema = z.array(z.object({ type: z.string(), ruleset_id: z.number().int().nullish() }));
const rulesetSchema = z.object({ id: z.number().int(), name: z.string(), current_user_can_bypass: z.string().nullish() });

const status = (error: unknown) => `HTTP ${(error as { status?: number }).status ?? "error"}`;

/**
 * The doctor's credential-app check, cached per repository and branch for `ttlMs` (an answer GitHub
 * would not give for a minute at most). Without clients (the credential app's key is not configured
 * where this runs, as in `countersign simulate` with only a slug) every answer is unknown.
 */
export class CredentialRulesDoctor {
  private readonly cache = new Map<string, { status: CredentialRulesStatus; expires: number }>();
  private readonly pending = new Map<string, Promise<CredentialRulesStatus>>();

  constructor(
    private readonly clients: CredentialAppClients | null,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Whether the rules on `branch` keep the credential app's bot from pushing to it directly. */
  async check(repo: RepoRef, branch: string): Promise<CredentialRulesStatus> {
    const key = `${repo.id}:${branch}`;
    const cached = this.cache.get(key);
    if (cached && cached.expires > this.clock()) return cached.status;
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const lookup = this.lookUp(repo, branch)
      .then((found) => {
        this.cache.set(key, { status: found, expires: this.clock() + (found.state === "unknown" ? Math.min(this.ttlMs, 60_000) : this.ttlMs) });
        return found;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, lookup);
    return lookup;
  }

  private async lookUp(repo: RepoRef, branch: string): Promise<CredentialRulesStatus> {
    if (!this.clients) return { state: "unknown", reason: "the credential app's id and private key are not configured here, so its bot could not be asked" };
    let appOctokit: ProbotOctokit;
    let installation: Awaited<ReturnType<typeof credentialInstallation>>;
    try {
      appOctokit = await this.clients.appOctokit();
      installation = await credentialInstallation(appOctokit, repo.owner, repo.name);
    } catch (error) {
      return { state: "unknown", reason: `could not find the credential app's installation (${status(error)})` };
    }
    if (!installation) return { state: "not-installed" };
    let token: string;
    try {
      token = (await createRepositoryToken(appOctokit, installation.id, repo.id, { metadata: "read" })).token;
    } catch (error) {
      return { state: "unknown", reason: `could not get a read-only token for the credential app (${status(error)})` };
    }
    const octokit = this.clients.octokitWithToken(token);
    try {
      return await this.readAsBot(octokit, repo, branch);
    } finally {
      // A metadata-only token for one repository; revoked at once, and if GitHub will not revoke it,
      // it expires within the hour having left this process never.
      await revokeOwnToken(octokit).catch(() => undefined);
    }
  }

  private async readAsBot(octokit: ProbotOctokit, repo: RepoRef, branch: string): Promise<CredentialRulesStatus> {
    let rules: BranchRule[];
    try {
      const data = await octokit.paginate("GET /repos/{owner}/{repo}/rules/branches/{branch}", { owner: repo.owner, repo: repo.name, branch, per_page: 100 });
      rules = branchRulesSchema.parse(data).map((rule) => ({ type: rule.type, rulesetId: rule.ruleset_id ?? null }));
    } catch (error) {
      return { state: "unknown", reason: `could not read the rules on the branch (${error instanceof z.ZodError ? "an answer of an unexpected shape" : status(error)})` };
    }
    const ids = [...new Set(rules.filter((rule) => PUSH_BLOCKING_RULES.includes(rule.type) && rule.rulesetId !== null).map((rule) => rule.rulesetId as number))];
    const answers = new Map<number, RulesetAnswer>();
    await Promise.all(
      ids.map(async (id) => {
        try {
          // includes_parents: an organization's ruleset is read through the repository, which is where
          // GitHub answers current_user_can_bypass.
          const { data } = await octokit.request("GET /repos/{owner}/{repo}/rulesets/{ruleset_id}", { owner: repo.owner, repo: repo.name, ruleset_id: id, includes_parents: true });
          const ruleset = rulesetSchema.parse(data);
          answers.set(id, { name: ruleset.name, bypass: ruleset.current_user_can_bypass ?? null });
        } catch (error) {
          answers.set(id, { error: error instanceof z.ZodError ? "an answer of an unexpected shape" : status(error) });
        }
      }),
    );
    return interpretBotRules(rules, answers);
  }
}
