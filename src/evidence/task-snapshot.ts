import { capChars, capText } from "./text-ref.js";

// The task a delegation was given, as it stood when it was given: the text kept in the content store
// (src/db/content-texts.ts) under its SHA-256, and what the `delegation.created` audit event says of
// it. The text is the agent's instructions as a person wrote them: evidence of what was asked, never
// a source of authority (nothing reads a permission, a scope or an approval from it).

/** The most of an issue's body kept: an issue can hold 64 KiB of Markdown or more; the snapshot says when it was cut. */
export const TASK_BODY_MAX_BYTES = 64 * 1024;

/** The most of a title the audit payload repeats (GitHub's own limit for titles). */
export const TITLE_MAX_CHARS = 256;

/** An issue's title and body as the snapshot keeps them. */
export interface IssueSnapshotText {
  text: string;
  /** Whether the body was cut to `TASK_BODY_MAX_BYTES`. */
  truncated: boolean;
}

/**
 * The stored text of an issue task: canonical JSON `{"title":…,"body":…}` (in that key order, no
 * spaces, as `JSON.stringify` writes it), with the body cut to `TASK_BODY_MAX_BYTES` of UTF-8. JSON,
 * not `title\n\nbody`, so that a title holding blank lines cannot be read as part of the body.
 */
export function issueSnapshotText(issue: { title: string; body: string }): IssueSnapshotText {
  const body = capText(issue.body, TASK_BODY_MAX_BYTES);
  return { text: JSON.stringify({ title: issue.title, body: body.text }), truncated: body.truncated };
}

/** What the `delegation.created` event records of the task's snapshot. */
export type TaskSnapshotRecord =
  | {
      /** SHA-256 (hex) of the stored text's UTF-8 bytes: the key of `texts` in an export. */
      hash: string;
      /** The stored text's length in UTF-8 bytes. */
      bytes: number;
      /** Whether the text was cut before it was stored. */
      truncated: boolean;
      /** `issue`: the JSON above; `url` or `ticket`: the reference itself, as given. */
      format: "issue" | "url" | "ticket";
      /** The issue's title (capped at `TITLE_MAX_CHARS`), for a reader of the event alone; null for a URL or ticket. */
      title: string | null;
      titleTruncated?: true;
      /** When GitHub was read (ISO 8601); for a URL or ticket, when the delegation was given. */
      fetchedAt: string;
    }
  | {
      /** Why there is no snapshot (the delegation was recorded all the same). */
      error: string;
      fetchedAt: string;
    };

/** The title as the audit payload repeats it: capped, and flagged when cut. */
export function payloadTitle(title: string): { title: string; titleTruncated?: true } {
  const capped = capChars(title, TITLE_MAX_CHARS);
  return capped.truncated ? { title: capped.text, titleTruncated: true } : { title: capped.text };
}
