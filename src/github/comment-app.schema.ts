import { z } from "zod";

/**
 * The GitHub App a comment was performed through (`comment.performed_via_github_app` in an
 * `issue_comment` payload). GitHub sets it when an app posted the comment, with its own installation
 * token or with a person's user token (an agent acting "as" that person: the comment's `user` is the
 * person, yet the person did not type it). Absent or null when the person commented themselves.
 */
export const commentAppSchema = z.object({
  /** The app's numeric id. */
  id: z.number().int().positive(),
  /** The app's URL name, e.g. `copilot-swe-agent`. The payload types make it optional. */
  slug: z.string().max(200).nullish(),
  /** The app's display name, chosen by its owner: untrusted text. */
  name: z.string().max(500).nullish(),
});

/** The app a comment was performed through; every field may be unknown. */
export interface CommentApp {
  id: number | null;
  slug: string | null;
  name: string | null;
}

/**
 * Reads `performed_via_github_app`: null when the comment was not performed through an app. A value
 * that is present but not the documented shape is still an app (fails closed): nothing says a person
 * typed the comment.
 */
export function parseCommentApp(value: unknown): CommentApp | null {
  if (value === null || value === undefined) return null;
  const parsed = commentAppSchema.safeParse(value);
  if (!parsed.success) return { id: null, slug: null, name: null };
  return { id: parsed.data.id, slug: parsed.data.slug ?? null, name: parsed.data.name ?? null };
}
