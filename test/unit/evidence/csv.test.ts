import { describe, expect, test } from "@jest/globals";
import { csvDocument, csvField } from "../../../src/evidence/csv.js";

// CSV for spreadsheets: RFC 4180 quoting, and values a spreadsheet would run as formulas kept as text.

describe("csv", () => {
  test("quotes a field with a comma, a quote or a line break, doubling quotes; leaves others bare", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField(null)).toBe("");
    expect(csvField(42)).toBe("42");
    expect(csvField(-3)).toBe("-3");
  });

  test.each(["=1+1", "+1", "-1", "@SUM(A1)", "\tcmd", "\rcmd", '=HYPERLINK("http://x")'])("a text field starting like a formula (%j) is prefixed with an apostrophe", (value) => {
    const field = csvField(value);
    const unquoted = field.startsWith('"') ? field.slice(1, -1).replace(/""/g, '"') : field;
    expect(unquoted).toBe(`'${value}`);
  });

  test("a document: header then rows, each line ended with CRLF", () => {
    expect(csvDocument(["a", "b"], [["1", "x,y"], [null, "=z"]])).toBe('a,b\r\n1,"x,y"\r\n,\'=z\r\n');
  });
});
