import { RE2JS } from "re2js";

// Globs compiled for a linear-time engine. Policy globs (tiers, scope, protected branches) and
// `/delegate paths:` globs are matched against file paths and branch names that agents write, and a
// policy file can itself be written by an agent on a base branch it created. A backtracking regular
// expression (what picomatch compiles a glob into) lets such a pair take seconds or minutes to match:
// `*a*a*a*a*a*a*a*a*b` against forty `a`s, `+(*a)` against thirty, with the whole app's event loop held
// meanwhile. RE2 matches in time linear in the text, whatever the pattern, so every glob is translated
// here into RE2 syntax and run by re2js.
//
// The meaning is picomatch 4's with `{ dot: true }` (what the app used before), on the texts the app
// matches: git paths and branch names (never empty, no `.` or `..` segments, no leading `/`, no `//`).
// That meaning has corners: the translation follows them where a policy could rely on them, and
// refuses a glob, with the reason, where picomatch's reading is an accident of its regex output (a
// bare `|`, a `+` after a group, `\d`) or cannot be written in RE2 (`!(...)`, which needs a lookahead).
// The equivalence is property-tested against picomatch itself (test/unit/policy/linear-glob.test.ts).

/** A compiled glob. `matches` is a full match of the whole text. */
export interface CompiledGlob {
  matches(text: string): boolean;
}

/** Why a glob cannot be compiled: the message is the reason, for people to read. */
export class GlobSyntaxError extends Error {}

type Kind = "bos" | "slash" | "star" | "globstar" | "paren" | "pipe" | "brace-open" | "comma" | "brace-close" | "text" | "inner-dot";

type Node =
  | { type: "char"; char: string }
  | { type: "slash" }
  | { type: "stars"; count: number; end: number }
  | { type: "qmark" }
  | { type: "quantifier"; op: "?" }
  | { type: "class"; source: string; literal: string | null }
  | { type: "brace"; alternatives: Node[][]; form: "alternatives" | "literal" }
  | { type: "range"; source: string }
  | { type: "group"; op: "@" | "?" | "*" | "+"; extglob: boolean; alternatives: Node[][] };

const ALNUM = /^[A-Za-z0-9]$/;
// The characters whose presence in a bracket expression stops picomatch also matching the bracket
// expression as literal text (`[id]` matches both `i` and the file `[id]`, as in Next.js routes).
const REGEX_SPECIAL = /[-*+?.^${}(|)[\]]/;
const POSIX_CLASSES = new Set(["alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "word", "xdigit"]);

/** One character as RE2 source, matched literally. */
function literal(char: string): string {
  if (ALNUM.test(char)) return char;
  const code = char.codePointAt(0) ?? 0;
  if (code > 0x20 && code < 0x7f) return `\\${char}`; // ASCII punctuation: RE2 accepts any escaped
  return `\\x{${code.toString(16)}}`;
}

function fail(reason: string): never {
  throw new GlobSyntaxError(reason);
}

/** The parser: code points in, a tree of nodes out. Braces and groups nest; classes do not. */
class Parser {
  private index = 0;
  /** What encloses the position being read, innermost last: for `,` `|` `}` `)`. */
  private readonly open: Array<"brace" | "group"> = [];

  constructor(private readonly chars: readonly string[]) {}

  parse(start: number): Node[] {
    this.index = start;
    const nodes = this.sequence();
    if (this.index < this.chars.length) fail(`unexpected "${this.chars[this.index]}"`);
    return nodes;
  }

  private peek(offset = 0): string | undefined {
    return this.chars[this.index + offset];
  }

  /** Whether an extglob opens at `offset`: `(` followed by something other than `?`. */
  private opensExtglob(offset: number): boolean {
    const next = this.peek(offset + 1);
    return this.peek(offset) === "(" && next !== undefined && next !== "?";
  }

  /** Reads nodes until the end, or a `,` `}` `|` `)` that belongs to the innermost brace or group. */
  private sequence(): Node[] {
    const nodes: Node[] = [];
    const innermost = this.open[this.open.length - 1];
    for (;;) {
      const char = this.peek();
      if (char === undefined) return nodes;
      if ((char === "," || char === "}") && innermost === "brace") return nodes;
      if ((char === "|" || char === ")") && innermost === "group") return nodes;
      nodes.push(this.node(char, nodes[nodes.length - 1]));
    }
  }

  private node(char: string, previous: Node | undefined): Node {
    switch (char) {
      case "\\": {
        const escaped = this.peek(1);
        if (escaped === undefined) fail("it ends with a backslash");
        // picomatch passes `\d`, `\n`, `\b` through as regular-expression escapes, not characters.
        if (ALNUM.test(escaped)) fail(`\\${escaped} is not supported; a backslash may only escape punctuation`);
        this.index += 2;
        // picomatch drops the backslash of `\/`: it is a separator like any other.
        return escaped === "/" ? { type: "slash" } : { type: "char", char: escaped };
      }
      case "/":
        this.index += 1;
        return { type: "slash" };
      case "*":
        return this.stars();
      case "?":
        if (this.opensExtglob(1)) return this.group("?", 2);
        this.index += 1;
        // Right after a group picomatch leaves `?` a regex quantifier: `@(a|b)?` is an optional a or
        // b, and `+(a)?` is `+(a)`. Kept, so that such a glob means what it meant.
        if (previous?.type === "group") return { type: "quantifier", op: "?" };
        return { type: "qmark" };
      case "+":
        if (this.opensExtglob(1)) return this.group("+", 2);
        // After a bracket, group or brace, or inside a group, picomatch leaves `+` a regex quantifier.
        if (previous?.type === "class" || previous?.type === "group" || previous?.type === "brace" || previous?.type === "range" || this.open.includes("group")) {
          fail("a + after [...], (...) or {...}, or inside (...), is ambiguous; write \\+ for the character or +(...) for one or more");
        }
        this.index += 1;
        return { type: "char", char };
      case "@":
        if (this.opensExtglob(1)) return this.group("@", 2);
        this.index += 1;
        return { type: "char", char };
      case "!":
        if (this.peek(1) === "(") fail("!(...) patterns are not supported; list the paths instead");
        this.index += 1;
        return { type: "char", char };
      case "(":
        if (this.peek(1) === "?") fail("(? is not supported: groups are (a|b), not regular-expression syntax");
        return this.group("@", 1, false);
      case ")":
        fail(this.open.includes("group") ? "braces and parentheses overlap" : "a ) has no matching (");
      case "|":
        fail("| separates alternatives only inside @(...), ?(...), *(...), +(...) or (...)");
      case "{":
        return this.brace();
      case "}":
        if (this.open.includes("brace")) fail("braces and parentheses overlap");
        this.index += 1;
        return { type: "char", char };
      case "[":
        return this.bracket();
      case "]":
        fail('a ] has no matching [ (write \\] for the character)');
      case '"':
        fail('double quotes are not supported; escape characters with \\ instead');
      default:
        this.index += 1;
        return { type: "char", char };
    }
  }

  /** A run of `*`. A `*` right before `(` opens `*(...)`, as in picomatch (only after one or two). */
  private stars(): Node {
    if (this.opensExtglob(1)) return this.group("*", 2);
    let count = 0;
    while (this.peek() === "*" && !this.opensExtglob(1)) {
      count += 1;
      this.index += 1;
    }
    if (this.peek() === "*") {
      // The star before `(`: picomatch reads `**(a)` as `*` then `*(a)`, but `***(a)` as stars then a
      // plain group; refused rather than reproduced.
      if (count >= 2) fail("three or more * before ( are ambiguous");
    }
    return { type: "stars", count, end: this.index };
  }

  private alternatives(kind: "brace" | "group", separator: string, close: string): Node[][] {
    this.open.push(kind);
    const alternatives: Node[][] = [this.sequence()];
    while (this.peek() === separator) {
      this.index += 1;
      alternatives.push(this.sequence());
    }
    if (this.peek() !== close) fail(`a ${kind === "brace" ? "{" : "("} is never closed`);
    this.index += 1;
    this.open.pop();
    return alternatives;
  }

  /** `@(a|b)`, `?(...)`, `*(...)`, `+(...)` and a plain `(a|b)` (which picomatch reads as `@(a|b)`). */
  private group(op: "@" | "?" | "*" | "+", skip: number, extglob = true): Node {
    this.index += skip;
    const alternatives = this.alternatives("group", "|", ")");
    if ((op === "+" || op === "*") && readLiterally(alternatives)) {
      fail(`${op}(...) with an empty or only-* alternative, alternatives that start alike, or a nested *(...) is not supported (picomatch reads it as plain text); list the paths instead`);
    }
    return { type: "group", op, extglob, alternatives };
  }

  /** `{a,b}` alternatives, a `{a..c}` range of single characters, or literal braces (`{a}`). */
  private brace(): Node {
    const start = this.index + 1;
    this.index = start;
    const alternatives = this.alternatives("brace", ",", "}");
    const text = this.chars.slice(start, this.index - 1).join("");
    if (text.includes("..")) {
      const range = /^(?:([0-9])\.\.([0-9])|([a-z])\.\.([a-z])|([A-Z])\.\.([A-Z]))$/.exec(text);
      const [from, to] = range ? range.slice(1).filter((part) => part !== undefined) : [];
      if (!from || !to || from > to) fail(`{${text}} is not supported; a range is {a..z} or {0..9} with single characters in order, or list the alternatives with commas`);
      return { type: "range", source: `[${from}-${to}]` };
    }
    return { type: "brace", alternatives, form: alternatives.length > 1 ? "alternatives" : "literal" };
  }

  /**
   * A bracket expression: `[abc]`, `[a-z]`, `[^a]`, `[[:alpha:]]`. As in picomatch, `!` after `[` is
   * the character `!` (not a negation), a `]` first is literal, and a negated class never matches `/`.
   */
  private bracket(): Node {
    if (!this.chars.slice(this.index + 1).includes("]")) fail("a [ is never closed (write \\[ for the character)");
    const start = this.index + 1;
    this.index = start;
    const negated = this.peek() === "^";
    if (negated) this.index += 1;
    let items = "";
    let text = "";
    let first = true;
    for (;;) {
      const char = this.peek();
      if (char === undefined) fail("a [ is never closed (write \\[ for the character)");
      if (char === "]" && !first) break;
      first = false;
      if (char === "[" && this.peek(1) === ":") {
        const rest = this.chars.slice(this.index + 2).join("");
        const name = /^([a-z]+):\]/.exec(rest)?.[1];
        if (!name || !POSIX_CLASSES.has(name)) fail(`[:${rest.split(":")[0]}:] is not a POSIX class (alnum, alpha, digit, lower, upper, space, ...)`);
        items += `[:${name}:]`;
        this.index += name.length + 4;
        continue;
      }
      const from = this.classChar();
      if (this.peek() === "-" && this.peek(1) !== undefined && this.peek(1) !== "]") {
        this.index += 1;
        const to = this.classChar();
        if ((from.codePointAt(0) ?? 0) > (to.codePointAt(0) ?? 0)) fail(`[${from}-${to}] is a range out of order`);
        items += `${literal(from)}-${literal(to)}`;
        text += `${from}-${to}`;
      } else {
        items += literal(from);
        text += from;
      }
    }
    const raw = this.chars.slice(start, this.index).join("");
    this.index += 1;
    const source = negated ? `[^${items}/]` : `[${items}]`;
    return { type: "class", source, literal: REGEX_SPECIAL.test(raw) ? null : `[${text}]` };
  }

  private classChar(): string {
    const char = this.peek();
    if (char === "\\") {
      const escaped = this.peek(1);
      if (escaped === undefined) fail("a [ is never closed (write \\[ for the character)");
      if (ALNUM.test(escaped)) fail(`\\${escaped} is not supported; a backslash may only escape punctuation`);
      this.index += 2;
      return escaped;
    }
    this.index += 1;
    return char as string;
  }
}

/**
 * Whether picomatch 4.0.7 would read a `+(...)` or `*(...)` as plain text, its own guard against
 * backtracking (empty or only-`*`/`?` alternatives, alternatives with a common first character, a
 * nested `*(...)`). RE2 needs no such guard; these are refused instead (a superset of picomatch's
 * cases, so that no accepted glob means something different from what it meant).
 */
function readLiterally(alternatives: readonly Node[][]): boolean {
  const nested = (nodes: readonly Node[]): boolean =>
    nodes.some((node) => (node.type === "group" && (node.op === "*" || node.op === "+" || node.alternatives.some(nested))) || (node.type === "brace" && node.alternatives.some(nested)));
  if (alternatives.some(nested)) return true;
  if (alternatives.length < 2) return false;
  if (alternatives.some((nodes) => nodes.length === 0 || nodes.every((node) => node.type === "stars" || node.type === "qmark"))) return true;
  const firsts = alternatives.map((nodes) => nodes[0]).map((node) => (node?.type === "char" ? node.char : node?.type === "slash" ? "/" : null));
  return firsts.some((first, index) => first !== null && firsts.indexOf(first) !== index) || alternatives.some((nodes) => nodes[0]?.type !== "char" && nodes[0]?.type !== "slash");
}

/** Where a sequence sits: what precedes its first node and follows its last, in picomatch's terms. */
interface Context {
  top: boolean;
  /** Whether a brace encloses the sequence (picomatch's `state.braces > 0`). */
  inBrace: boolean;
  /** How many groups enclose it. */
  groups: number;
  first: Kind;
  /** Whether what follows the sequence keeps a `**` before it a globstar (`,` `}` `)` do, `|` does not). */
  keepsGlobstar: boolean;
  /** Whether the sequence starts a path segment (its brace or group does). */
  segmentStart: boolean;
}

const OPENINGS: readonly Kind[] = ["brace-open", "comma", "paren", "pipe"];

/** The tree as RE2 source. `rest(index)` is the glob's text after a code point index. */
class Emitter {
  constructor(private readonly rest: (index: number) => string) {}

  sequence(nodes: readonly Node[], context: Context): string {
    const out: string[] = [];
    let prior: Kind = context.first;
    let priorOfPrior: Kind = "text"; // only read when prior is a slash: what came before the slash
    for (let index = 0; index < nodes.length; index += 1) {
      const node = nodes[index] as Node;
      switch (node.type) {
        case "char":
          out.push(literal(node.char));
          // Inside braces and groups picomatch gives a `.` the rules of a dot that starts a segment
          // (a `*` after it may not be empty or `.` at the end), even in mid-segment: `x{.*,b}` does
          // not match `x.`. RE2 has no lookahead to say so; such a `.*` is refused below.
          prior = node.char === "." && (context.inBrace || context.groups > 0) && !this.startsSegment(prior, context) ? "inner-dot" : "text";
          break;
        case "slash":
          out.push("/");
          priorOfPrior = prior;
          prior = "slash";
          break;
        case "qmark":
          out.push("[^/]");
          prior = "text";
          break;
        case "quantifier":
          out.push(node.op);
          prior = "text";
          break;
        case "class":
          out.push(node.literal === null ? node.source : `(?:${[...node.literal].map(literal).join("")}|${node.source})`);
          prior = "text";
          break;
        case "range":
          out.push(node.source);
          prior = "brace-close";
          break;
        case "brace": {
          const inner = { top: false, inBrace: true, groups: context.groups, keepsGlobstar: true, segmentStart: this.startsSegment(prior, context) };
          const alternatives = node.alternatives.map((alternative, position) => this.sequence(alternative, { ...inner, first: position === 0 ? "brace-open" : "comma" }));
          out.push(node.form === "alternatives" ? `(?:${alternatives.join("|")})` : `\\{${alternatives.join("")}\\}`);
          prior = "brace-close";
          break;
        }
        case "group": {
          const inner = { top: false, inBrace: context.inBrace, groups: context.groups + 1, segmentStart: this.startsSegment(prior, context) };
          const last = node.alternatives.length - 1;
          const alternatives = node.alternatives.map((alternative, position) => this.sequence(alternative, { ...inner, first: position === 0 ? "paren" : "pipe", keepsGlobstar: position === last }));
          out.push(`(?:${alternatives.join("|")})${node.op === "@" ? "" : node.op}`);
          prior = "paren";
          break;
        }
        case "stars": {
          if (prior === "inner-dot") fail("a . right before * inside {...} or (...), after other characters, is not supported; write the . outside, as in *.{js,ts}");
          const star = this.stars(nodes, index, context, prior, priorOfPrior, out);
          index = star.index;
          if (star.kind === "slash") priorOfPrior = "globstar";
          prior = star.kind;
          break;
        }
      }
    }
    return out.join("");
  }

  private startsSegment(prior: Kind, context: Context): boolean {
    return prior === "bos" || prior === "slash" || (OPENINGS.includes(prior) && context.segmentStart);
  }

  /**
   * A run of `*`, following picomatch's rules for when `**` is a globstar. `*` (and `***` or more) is
   * any run of non-`/` characters. `**` is a globstar only where it starts something: at the
   * start, after `/`, after a group, or first in a brace alternative. As a whole segment it is zero
   * or more segments (`a/**` also matches `a`, `**\/x` matches `x`, `a/**\/b` matches `a/b`);
   * elsewhere it is any text at all, `/` included, unless what follows is a character, `?`, a class
   * or `+(`-like group, in which case it is a `*` again (`**a` is `*a`).
   */
  private stars(nodes: readonly Node[], index: number, context: Context, prior: Kind, priorOfPrior: Kind, out: string[]): { index: number; kind: Kind } {
    const node = nodes[index] as Extract<Node, { type: "stars" }>;
    const star = { index, kind: "star" as Kind };
    const eligible = prior === "bos" || prior === "slash" || prior === "paren" || prior === "brace-open" || prior === "comma" || (prior === "brace-close" && context.inBrace);
    if (node.count !== 2 || !eligible) {
      out.push("[^/]*");
      return star;
    }
    // `/**` repeated (`a/**/**/b`) is one globstar.
    let at = index;
    let end = node.end;
    for (;;) {
      const slash = nodes[at + 1];
      const next = nodes[at + 2];
      const after = nodes[at + 3];
      if (slash?.type !== "slash" || next?.type !== "stars" || next.count !== 2) break;
      if (!(after?.type === "slash" || (context.top && after === undefined))) break;
      at += 2;
      end = next.end;
    }
    const following = nodes[at + 1];
    const atEnd = (context.top && following === undefined) || (context.groups > 0 && this.rest(end) === ")".repeat(context.groups));
    const afterSlash = prior === "slash" && priorOfPrior !== "bos";
    if (prior === "bos" && context.top && following === undefined) {
      out.push(".*");
      return { index: at, kind: "globstar" };
    }
    if (afterSlash && priorOfPrior !== "star" && priorOfPrior !== "globstar" && atEnd) {
      out.pop(); // the slash: `a/**` is `a` or `a/` and anything
      out.push("(?:/.*|$)");
      return { index: at, kind: "globstar" };
    }
    if (afterSlash && following?.type === "slash") {
      out.pop();
      // After `/**/`: `/` and anything and `/`, or the single `/`; or, when more follows that could
      // match nothing, the end (picomatch's `|$`), except before a `*`, which picomatch makes match at
      // least one character there (`a/**/*` does not match `a`).
      const beforeStar = nodes[at + 2]?.type === "stars" && (nodes[at + 2] as { count: number }).count === 1;
      out.push(this.rest(end).length > 1 && !beforeStar ? "(?:/.*/|/|$)" : "(?:/.*/|/)");
      return { index: at + 1, kind: "slash" };
    }
    if (prior === "bos" && following?.type === "slash") {
      out.push("(?:^|/|.*/)");
      return { index: at + 1, kind: "slash" };
    }
    const keeps =
      following === undefined
        ? context.keepsGlobstar || context.top
        : following.type === "slash" || following.type === "brace" || following.type === "range" || (following.type === "group" && (following.op === "@" || !following.extglob));
    out.push(keeps ? ".*" : "[^/]*");
    return { index: at, kind: keeps ? "globstar" : "star" };
  }
}

/** RE2 source for a glob without its leading `!`s, and whether those negate it. */
export function globToRE2(glob: string): { source: string; negated: boolean } {
  const chars = Array.from(glob);
  let start = 0;
  // Leading `!`s negate the whole glob, an odd number of them (`!(` is a negative extglob instead).
  while (chars[start] === "!" && chars[start + 1] !== "(") start += 1;
  const negated = start % 2 === 1;
  // A leading `./` means nothing (picomatch drops it).
  while (chars[start] === "." && chars[start + 1] === "/") start += 2;
  // picomatch compiles a glob that starts with `*` or `.` by a shortcut first, and its shortcut reads
  // `**.md` (`**` and extensions, nothing else) as any path ending in `.md`, not as `*.md`. Kept: a
  // policy's `**.tf` must go on matching `infra/main.tf`.
  const shortcut = /^(?:\.\/)?\*\*((?:\.\w+)+)$/.exec(glob);
  if (shortcut) return { source: `.*${Array.from(shortcut[1] as string).map(literal).join("")}`, negated: false };
  const nodes = new Parser(chars).parse(start);
  const source = new Emitter((index) => chars.slice(index).join("")).sequence(nodes, { top: true, inBrace: false, groups: 0, first: "bos", keepsGlobstar: true, segmentStart: true });
  return { source, negated };
}

function compileRE2(source: string): RE2JS {
  try {
    // DOTALL: a path may contain a newline, and `**` must match across it (picomatch's `.` did not).
    return RE2JS.compile(source, RE2JS.DOTALL);
  } catch (error) {
    fail(`it does not compile (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * Compiles a glob for linear-time matching. Throws a `GlobSyntaxError` whose message says why when
 * the glob is invalid (an unclosed `[` or `{`, a stray `]`) or uses syntax that is not supported.
 */
export function compileGlob(glob: string): CompiledGlob {
  return compileAnyGlob([glob]);
}

/**
 * Compiles globs into one matcher that matches when any of them does, as picomatch matched an array:
 * a negated glob in it (`!main`) matches every text it does not exclude. The globs that are not
 * negated become one RE2 alternation, matched in one pass: a tier of seventy globs against a
 * thousand files costs a thousand matches, not seventy thousand. Throws as `compileGlob` does, for
 * the first glob that cannot be compiled (the message does not say which: validate them one by one).
 */
export function compileAnyGlob(globs: readonly string[]): CompiledGlob {
  const translated = globs.map(globToRE2);
  const positive = translated.filter((glob) => !glob.negated).map((glob) => glob.source);
  const any = positive.length === 0 ? null : compileRE2(positive.length === 1 ? (positive[0] as string) : positive.map((source) => `(?:${source})`).join("|"));
  const negated = translated.filter((glob) => glob.negated).map((glob) => compileRE2(glob.source));
  // picomatch matches a text equal to the glob itself whatever the glob means (`[a` matches "[a").
  const themselves = new Set(globs);
  return { matches: (text) => themselves.has(text) || (any !== null && any.matches(text)) || negated.some((pattern) => !pattern.matches(text)) };
}

/** Why `glob` cannot be compiled, or null when it can. */
export function globProblem(glob: string): string | null {
  try {
    compileGlob(glob);
    return null;
  } catch (error) {
    if (error instanceof GlobSyntaxError) return error.message;
    throw error;
  }
}
