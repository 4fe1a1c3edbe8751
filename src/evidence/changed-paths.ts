import type { FileRename } from "../policy/types.js";
import { code } from "./markdown.js";

/**
 * Changed paths as the evidence lists them, in Markdown: each as inline code, and a renamed file as
 * `from` → `to`, once, whichever of its two paths is listed (a rename is judged by both, and the
 * reader needs both to see why it matched). File names are agent-written: always `code()`.
 */
export function pathEntries(paths: readonly string[], renames: readonly FileRename[] = []): string[] {
  const byPath = new Map<string, FileRename>();
  for (const rename of renames) {
    byPath.set(rename.from, rename);
    byPath.set(rename.to, rename);
  }
  const shown = new Set<FileRename>();
  const entries: string[] = [];
  for (const path of paths) {
    const rename = byPath.get(path);
    if (!rename) {
      entries.push(code(path));
    } else if (!shown.has(rename)) {
      shown.add(rename);
      entries.push(`${code(rename.from)} → ${code(rename.to)}`);
    }
  }
  return entries;
}
