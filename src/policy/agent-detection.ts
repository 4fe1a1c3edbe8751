import { accountFromNoreplyEmail, matchAgentIdentity, sameActor, type IdentityMatch } from "./agent-identities.js";
import type { RepoPolicy } from "./repo-policy.js";
import type { Actor, CommitFacts, CommitPerson, PullRequestFacts, PushCredential } from "./types.js";

/** One piece of evidence that an agent took part in a pull request. */
export type AgentSignal =
  | { kind: "pr-author"; actor: Actor; identity: string; matchedBy: IdentityMatch["matchedBy"] }
  | {
      kind: "commit-author" | "commit-committer" | "commit-co-author";
      sha: string;
      actor: Actor;
      identity: string;
      matchedBy: IdentityMatch["matchedBy"];
    }
  | { kind: "trailer"; sha: string; trailer: string; rule: string }
  /**
   * An agent identity pushed to the pull request's branch, as GitHub reported the pusher: the commits
   * it brought may carry any author, so the pull request is agent-touched whatever they say.
   */
  | { kind: "agent-push"; actor: Actor; identity: string; push: { id: string; beforeSha: string; afterSha: string; forced: boolean; commits: string[]; source: string; credentials: PushCredential[] | null } }
  /** The PR's author is not a known kind of account (a deleted "ghost", a mannequin): fail closed. */
  | { kind: "unidentified-author"; actor: Actor }
  /** A GitHub App bot that no identity names, counted because `agents.all_apps_are_agents` is on. */
  | { kind: "app-bot"; actor: Actor; role: "pr-author" | "commit-author" | "commit-committer"; sha: string | null };

/**
 * `authored`: the PR's author is an agent identity. `assisted`: a human opened it, but an agent wrote
 * or co-wrote at least one commit. `none`: no agent signal at all.
 */
export type AgentInvolvement = "none" | "authored" | "assisted";

export interface AgentDetection {
  involvement: AgentInvolvement;
  signals: AgentSignal[];
  /** Agent accounts seen (PR author, commit authors/committers), without duplicates. */
  agents: Actor[];
}

// Commit messages are agent-written and unbounded, so only bounded windows of one are read: the end,
// where git keeps trailers (the last paragraph), and the beginning, where a squash of several
// commits or a hand-written message may carry more. A 10 MB message costs two 64 KB scans.
const SCAN_WINDOW = 64 * 1024;
// How many trailers of one message are tested against the rules: git trailer blocks hold a few, and
// the bound keeps a message of 40,000 `Co-authored-by:` lines from costing 40,000 pattern matches
// per rule. The end's trailers are kept first, as they are the ones git reads.
const MAX_TRAILERS = 128;
// Trailer values are matched against configurable patterns; a bounded value bounds the work.
const MAX_TRAILER_VALUE = 512;

/** A `Key: value` line of a commit message. */
export interface Trailer {
  key: string;
  value: string;
  line: string;
}

const TRAILER_LINE = /^([A-Za-z][A-Za-z0-9-]{0,63})\s*:\s*(\S.*)$/;

/**
 * The `Key: value` lines of `text`, with git's continuation lines (a line starting with whitespace
 * right after a trailer) folded into the value. `dropFirst`/`dropLast` discard a line cut by a window.
 */
function trailersIn(text: string, dropFirst: boolean, dropLast: boolean): Trailer[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (dropFirst) lines.shift();
  if (dropLast) lines.pop();
  const trailers: Trailer[] = [];
  let previous: Trailer | null = null;
  for (const raw of lines) {
    const line = raw.trim();
    if (previous && line !== "" && /^[ \t]/.test(raw)) {
      previous.value = `${previous.value} ${line}`.slice(0, MAX_TRAILER_VALUE);
      previous.line = `${previous.line} ${line}`;
    }
    // An indented `Key: value` line is also read on its own (git would fold it): strict either way.
    const match = TRAILER_LINE.exec(line);
    if (match) {
      previous = { key: (match[1] as string).toLowerCase(), value: (match[2] as string).slice(0, MAX_TRAILER_VALUE), line };
      trailers.push(previous);
    } else if (!/^[ \t]/.test(raw) || line === "") {
      previous = null;
    }
  }
  return trailers;
}

/**
 * The `Key: value` lines of a message, in message order. Git only treats the last paragraph as
 * trailers, but matching any such line it reads can only find more agent involvement, never less, so
 * it errs on the strict side. Long messages are read at both ends (see SCAN_WINDOW): a trailer after
 * 70 KB of message is found, and a trailer can never be pushed out of view by text before it.
 */
export function parseTrailers(message: string): Trailer[] {
  // Trailing blank lines are not part of any paragraph (git strips them before finding trailers).
  // trimEnd, not a /\s+$/ regex: that one is quadratic on a message of many whitespace runs.
  const text = message.trimEnd();
  if (text.length <= 2 * SCAN_WINDOW) return trailersIn(text, false, false).slice(-MAX_TRAILERS);
  const tail = trailersIn(text.slice(-SCAN_WINDOW), true, false).slice(-MAX_TRAILERS);
  const head = trailersIn(text.slice(0, SCAN_WINDOW), false, true).slice(0, MAX_TRAILERS - tail.length);
  return [...head, ...tail];
}

/** The GitHub account behind a commit person: the one GitHub resolved, else its noreply address. */
export function commitPersonAccount(person: CommitPerson): Actor | null {
  return person.account ?? accountFromNoreplyEmail(person.email);
}

function commitSignals(commit: CommitFacts, policy: RepoPolicy): AgentSignal[] {
  const signals: AgentSignal[] = [];
  const people: Array<{ kind: "commit-author" | "commit-committer" | "commit-co-author"; person: CommitPerson }> = [
    ...commit.authors.map((person, index) => ({
      kind: index === 0 ? ("commit-author" as const) : ("commit-co-author" as const),
      person,
    })),
    ...(commit.committer ? [{ kind: "commit-committer" as const, person: commit.committer }] : []),
  ];
  for (const { kind, person } of people) {
    const account = commitPersonAccount(person);
    if (!account) continue;
    const match = matchAgentIdentity(account, policy.identities);
    if (match) signals.push({ kind, sha: commit.sha, actor: account, identity: match.identity.name, matchedBy: match.matchedBy });
    else if (policy.allAppsAreAgents && account.kind === "bot" && kind !== "commit-co-author") {
      signals.push({ kind: "app-bot", actor: account, role: kind, sha: commit.sha });
    }
  }
  for (const trailer of parseTrailers(commit.message)) {
    const rule = policy.trailerRules.find((candidate) => candidate.key === trailer.key && candidate.pattern.test(trailer.value));
    if (rule) {
      signals.push({ kind: "trailer", sha: commit.sha, trailer: trailer.line, rule: rule.name });
      continue;
    }
    // A co-author trailer naming an agent's own noreply address identifies it even when no rule does.
    if (trailer.key === "co-authored-by") {
      const email = /<([^>]+)>/.exec(trailer.value)?.[1];
      const account = email ? accountFromNoreplyEmail(email) : null;
      const match = account ? matchAgentIdentity(account, policy.identities) : null;
      if (match) signals.push({ kind: "trailer", sha: commit.sha, trailer: trailer.line, rule: match.identity.name });
    }
  }
  return signals;
}

/** Finds every sign of agent involvement in a pull request and classifies it. */
export function detectAgents(pr: Pick<PullRequestFacts, "author" | "commits" | "agentPushes">, policy: RepoPolicy): AgentDetection {
  const signals: AgentSignal[] = [];
  const authorMatch = matchAgentIdentity(pr.author, policy.identities);
  if (authorMatch) {
    signals.push({ kind: "pr-author", actor: pr.author, identity: authorMatch.identity.name, matchedBy: authorMatch.matchedBy });
  } else if (pr.author.kind === "bot" && policy.allAppsAreAgents) {
    signals.push({ kind: "app-bot", actor: pr.author, role: "pr-author", sha: null });
  } else if (pr.author.kind !== "user" && pr.author.kind !== "bot") {
    // Nobody can say whether an unidentifiable author is an agent, so it is held to the agent rules.
    signals.push({ kind: "unidentified-author", actor: pr.author });
  }
  for (const commit of pr.commits) signals.push(...commitSignals(commit, policy));
  // Recorded when the pusher matched an agent identity; a later policy cannot unmake the push.
  for (const push of pr.agentPushes ?? []) {
    signals.push({
      kind: "agent-push",
      actor: push.pusher,
      identity: push.identity,
      push: { id: push.id, beforeSha: push.beforeSha, afterSha: push.afterSha, forced: push.forced, commits: push.commits, source: push.source, credentials: push.credentials ?? null },
    });
  }

  const agents: Actor[] = [];
  for (const signal of signals) {
    if (signal.kind === "trailer" || signal.kind === "unidentified-author") continue;
    if (!agents.some((known) => sameActor(known, signal.actor))) agents.push(signal.actor);
  }
  const authored = signals.some((signal) => signal.kind === "pr-author" || signal.kind === "unidentified-author" || (signal.kind === "app-bot" && signal.role === "pr-author"));
  const involvement: AgentInvolvement = authored ? "authored" : signals.length > 0 ? "assisted" : "none";
  return { involvement, signals, agents };
}
