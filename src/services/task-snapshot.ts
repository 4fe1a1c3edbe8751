import { storeText } from "../db/content-texts.js";
import type { Store } from "../db/store.js";
import { issueSnapshotText, payloadTitle, type TaskSnapshotRecord } from "../evidence/task-snapshot.js";
import type { GitHub, RepoName } from "../github/github-client.js";
import type { TaskRef } from "../policy/types.js";

// Keeps the task a delegation is given as it stands now (an issue's title and body, read from GitHub;
// a URL or ticket as given), in the content store, and says in the audit event what was kept. The
// issue can be edited or deleted later; the chain keeps the hash of what the owner delegated.

/** An issue task names an issue of the same repository: `#12`. */
function issueNumber(task: TaskRef): number | null {
  const match = /^#(\d+)$/.exec(task.ref);
  return match ? Number(match[1]) : null;
}

/** Why a read of the task failed, in words safe for the audit log (GitHub's status, never its message or headers). */
function readFailure(error: unknown): string {
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" ? `GitHub answered ${status} when the issue was read` : "the issue could not be read from GitHub";
}

/**
 * Snapshots `task`: null when there is no task. A failed read of the issue is recorded as such and
 * does not stop the delegation (nothing the gate decides depends on the snapshot); a failed write to
 * the database throws, as the delegation's own write would.
 */
export async function snapshotTask(deps: { db: Store; clock: () => Date }, github: Pick<GitHub, "issueText">, repo: RepoName, task: TaskRef): Promise<TaskSnapshotRecord | null> {
  if (task.kind === "none") return null;
  if (task.kind === "url" || task.kind === "ticket") {
    const stored = await storeText(deps.db, task.ref);
    return { ...stored, truncated: false, format: task.kind, title: null, fetchedAt: deps.clock().toISOString() };
  }
  const number = issueNumber(task);
  const fetchedAt = () => deps.clock().toISOString();
  if (number === null) return { error: `the task ${JSON.stringify(task.ref.slice(0, 100))} names no issue of this repository`, fetchedAt: fetchedAt() };
  let issue: Awaited<ReturnType<GitHub["issueText"]>>;
  try {
    issue = await github.issueText(repo, number);
  } catch (error) {
    return { error: readFailure(error), fetchedAt: fetchedAt() };
  }
  const at = fetchedAt();
  if (issue === null) return { error: `GitHub has no issue #${number}`, fetchedAt: at };
  const snapshot = issueSnapshotText(issue);
  const stored = await storeText(deps.db, snapshot.text);
  return { ...stored, truncated: snapshot.truncated, format: "issue", ...payloadTitle(issue.title), fetchedAt: at };
}
