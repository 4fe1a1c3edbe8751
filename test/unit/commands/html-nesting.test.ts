import { describe, expect, test } from "@jest/globals";
import { atTopLevel, feedHtml, htmlNesting } from "../../../src/commands/html-nesting.js";

/** Whether text after these HTML nodes (in order) is ordinary, visible content. */
function visibleAfter(...nodes: string[]): boolean {
  const state = htmlNesting();
  for (const node of nodes) feedHtml(state, node);
  return atTopLevel(state);
}

describe("HTML that leaves what follows hidden or wrapped", () => {
  test.each([
    ["an open <details>", ["<details>"]],
    ["an open element written in capitals", ["<DETAILS>"]],
    ["a self-closing ordinary element (HTML ignores the slash)", ["<details/>"]],
    ["an unclosed comment", ["<!-- note"]],
    ["an unclosed comment across nodes", ["<div>", "</div><!--", "still a comment"]],
    ["a bogus comment without its >", ["<!DOCTYPE"]],
    ["an apparent close inside a quoted attribute of a void element", ['<details><img title="</details>">']],
    ["an apparent close inside a comment", ["<details><!-- </details> -->"]],
    ["an apparent close inside a bogus comment", ["<details><![CDATA[ </details"]],
    ["a node ending inside a tag", ["<div title='open"]],
    ["a node ending before a tag's >", ["<div class=x"]],
    ["a close of another element than the innermost", ["<details><b>", "</details>"]],
    ["an open raw-text element", ["<script>"]],
    ["a raw-text element whose text looks like a close", ["<details><textarea></details>"]],
    ["plaintext", ["<plaintext></plaintext>"]],
    ["svg (foreign content, whose CDATA rules differ)", ["<svg></svg>"]],
  ])("%s", (_description, nodes) => {
    expect(visibleAfter(...nodes)).toBe(false);
  });
});

describe("HTML that leaves what follows visible", () => {
  test.each([
    ["no HTML", []],
    ["a closed <details>", ["<details>", "</details>"]],
    ["a closed element in one node", ["<details><summary>Notes</summary>text</details>"]],
    ["a void element", ["<br>"]],
    ["a self-closing void element", ["<img src=x />"]],
    ["a closed comment", ["<!-- note -->"]],
    ["an empty comment <!-->", ["<!-->"]],
    ["an empty comment <!--->", ["<!--->"]],
    ["a comment closed by --!>", ["<!-- note --!>"]],
    ["a comment closed in a later node", ["<!-- a", "b -->"]],
    ["a > inside a quoted attribute", ['<b title=">">', "</b>"]],
    ["a closed raw-text element", ["<script>if (a < b) {}</script>"]],
    ["a < that starts nothing", ["a < b"]],
    ["an end tag with attributes", ["<b>", "</b class='x'>"]],
    ["a stray end tag", ["</details>"]],
  ])("%s", (_description, nodes) => {
    expect(visibleAfter(...nodes)).toBe(true);
  });
});

test("is linear: many comments and raw-text elements in one 65 KB node take milliseconds", () => {
  const started = performance.now();
  expect(visibleAfter("<!-- a -->".repeat(6_500))).toBe(true);
  expect(visibleAfter("<script></script>".repeat(3_800))).toBe(true);
  expect(visibleAfter("<a b='c'>".repeat(7_000))).toBe(false);
  expect(performance.now() - started).toBeLessThan(200);
});
