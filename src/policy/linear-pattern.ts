import { RE2JS } from "re2js";

// Configured regular expressions (trailer rules, the ticket key pattern) are matched against text an
// agent writes. JavaScript's RegExp backtracks, and no screen of pattern shapes can be complete: a
// pattern such as `^([a-z0-9]|[a-z-])+$` has no nested quantifier and still takes exponential time on
// a 40-character value, stalling the event loop for every installation the app serves. RE2 semantics
// (here its pure-JS port, re2js) match in time linear in the input, and refuse what cannot be matched
// that way (lookarounds, backreferences) at compile time, so a bad pattern is a policy error, not a
// hang.

/**
 * The largest compiled program accepted. Matching costs (text length × program size); counted
 * repetitions such as `[\p{L}]{1,1000}` compile to thousands of instructions, and measured with re2js
 * a 2,000-instruction program took 30-70 ms on one 512-character value while every program under
 * 1,000 instructions took microseconds. Realistic patterns are a few dozen instructions.
 */
export const MAX_PATTERN_INSTRUCTIONS = 1000;

/** A pattern refused at compile time; the message says why, for the policy error that names its key. */
export class PatternError extends Error {}

/**
 * A compiled pattern, tested in time linear in the text (and in the pattern's size). Two patterns
 * with the same source and flags are equal as data (the compiled program is private), so compiled
 * policies compare by what they say.
 */
export class LinearPattern {
  readonly #compiled: RE2JS;

  private constructor(
    /** The pattern as written, for messages and evidence. */
    readonly source: string,
    readonly caseInsensitive: boolean,
    compiled: RE2JS,
  ) {
    this.#compiled = compiled;
  }

  /**
   * Compiles `source` with RE2 syntax. Throws a `PatternError` whose message says why a pattern is
   * refused (RE2's own reason, plus what to do for the usual JavaScript-only constructs).
   */
  static compile(source: string, options: { caseInsensitive?: boolean } = {}): LinearPattern {
    const caseInsensitive = options.caseInsensitive ?? false;
    let compiled: RE2JS;
    try {
      compiled = RE2JS.compile(source, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
    } catch (error) {
      const reason = syntaxError(source) ?? (error instanceof Error ? error.message : String(error)).replace(/^error parsing regexp:\s*/, "");
      const hint = /\(\?[=!<]|\\[1-9]/.test(source) ? " (lookarounds and backreferences cannot be matched in linear time)" : "";
      throw new PatternError(`not a valid RE2 regular expression: ${reason}${hint}`);
    }
    const size = compiled.programSize();
    if (size > MAX_PATTERN_INSTRUCTIONS) {
      throw new PatternError(`too large to match quickly (${size} instructions, at most ${MAX_PATTERN_INSTRUCTIONS}): use smaller repetition counts`);
    }
    return new LinearPattern(source, caseInsensitive, compiled);
  }

  /** Whether the pattern matches anywhere in `text`, as `RegExp.prototype.test` does. */
  test(text: string): boolean {
    return this.#compiled.test(text);
  }
}

// RE2JS writes its case-insensitive flag into the pattern, and its error then quotes `(?i)` that the
// policy never said: the reason is taken from compiling the pattern as written.
function syntaxError(source: string): string | null {
  try {
    RE2JS.compile(source);
    return null;
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).replace(/^error parsing regexp:\s*/, "");
  }
}

/** See `LinearPattern.compile`. */
export function compileLinearPattern(source: string, options: { caseInsensitive?: boolean } = {}): LinearPattern {
  return LinearPattern.compile(source, options);
}

/** Why `source` is refused, or null when it compiles. */
export function linearPatternProblem(source: string, options: { caseInsensitive?: boolean } = {}): string | null {
  try {
    compileLinearPattern(source, options);
    return null;
  } catch (error) {
    if (error instanceof PatternError) return error.message;
    throw error;
  }
}
