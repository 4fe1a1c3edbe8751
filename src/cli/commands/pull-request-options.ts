import { z } from "zod";
import type { Option } from "../command.js";

// The options that name a repository and a pull request, shared by simulate, evidence and audit export.

const repository = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/);

/** --repo owner/name, required. */
export const repoOption = {
  placeholder: "<owner/name>",
  meaning: "the repository, as owner/name",
  example: "acme/widgets",
  mustBe: "owner/name",
  schema: repository,
} satisfies Option;

/** --repo owner/name, as a filter. */
export const repoFilterOption = { ...repoOption, meaning: "only this repository's pull requests, as owner/name", schema: repository.optional() } satisfies Option;

/** --pr N, required. */
export const prOption = {
  placeholder: "<number>",
  meaning: "the pull request's number",
  example: "42",
  mustBe: "a pull request number",
  // "#42" as GitHub writes it is accepted too.
  schema: z
    .string()
    .regex(/^#?[1-9][0-9]{0,9}$/)
    .transform((text) => Number(text.replace("#", ""))),
} satisfies Option;

/** --format md|json: the Markdown a reviewer reads, or JSON for tools. */
export function markdownOrJsonOption(json: string): Option<z.ZodDefault<z.ZodEnum<{ md: "md"; json: "json" }>>> {
  return { placeholder: "md|json", meaning: `md (default): Markdown, as a reviewer reads it; json: ${json}`, example: "json", mustBe: "md or json", schema: z.enum(["md", "json"]).default("md") };
}
