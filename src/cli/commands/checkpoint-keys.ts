import { readFileSync } from "node:fs";
import { z } from "zod";
import { parseSignerKey, parseVerifierKey, type CheckpointSigner, type CheckpointVerifier } from "../../audit/checkpoint.js";
import type { Option } from "../command.js";

// The checkpoint keys the audit commands use: public keys to check checkpoints with (a file, as the
// app publishes them at /.well-known/countersign-checkpoint-keys, or the app's own environment), and
// the private key `audit checkpoint` signs with.

/** --keys: a file of public keys. */
export const keysOption = {
  placeholder: "<file>",
  meaning: "a file of checkpoint public keys, one per line (as served at /.well-known/countersign-checkpoint-keys); default: COUNTERSIGN_CHECKPOINT_KEY's and COUNTERSIGN_CHECKPOINT_RETIRED_KEYS",
  example: "checkpoint-keys.txt",
  mustBe: "a file path",
  schema: z.string().min(1).optional(),
} satisfies Option;

/** The environment these keys can come from. */
export const checkpointKeyEnvironment: Array<[string, string]> = [
  ["COUNTERSIGN_CHECKPOINT_KEY", "the app's checkpoint signing key (its public half checks checkpoints; `audit checkpoint` signs with it)"],
  ["COUNTERSIGN_CHECKPOINT_RETIRED_KEYS", "public keys of rotated-out checkpoint keys"],
];

function verifierLines(text: string, where: string): CheckpointVerifier[] {
  return text
    .split(/[\s,]+/)
    .filter((line) => line.length > 0 && !line.startsWith("#"))
    .map((line) => {
      try {
        return parseVerifierKey(line);
      } catch (error) {
        throw new Error(`${where}: ${(error as Error).message}`);
      }
    });
}

/** The public keys: from `file` when given, else from the environment. Throws when there are none. */
export function checkpointPublicKeys(file: string | undefined, env: NodeJS.ProcessEnv): CheckpointVerifier[] {
  if (file !== undefined) {
    const keys = verifierLines(readFileSync(file, "utf8"), file);
    if (keys.length === 0) throw new Error(`${file} holds no checkpoint public key`);
    return keys;
  }
  const keys = [...(env.COUNTERSIGN_CHECKPOINT_KEY ? [checkpointSigner(env).verifier] : []), ...verifierLines(env.COUNTERSIGN_CHECKPOINT_RETIRED_KEYS ?? "", "COUNTERSIGN_CHECKPOINT_RETIRED_KEYS")];
  if (keys.length === 0) throw new Error("no checkpoint public key: pass --keys <file> (from /.well-known/countersign-checkpoint-keys), or set COUNTERSIGN_CHECKPOINT_KEY");
  return keys;
}

/** The signing key from COUNTERSIGN_CHECKPOINT_KEY; throws naming the variable, never its value. */
export function checkpointSigner(env: NodeJS.ProcessEnv): CheckpointSigner {
  if (!env.COUNTERSIGN_CHECKPOINT_KEY) throw new Error("COUNTERSIGN_CHECKPOINT_KEY is not set: it is the key the app signs checkpoints with (make one with `countersign audit checkpoint-key`)");
  try {
    return parseSignerKey(env.COUNTERSIGN_CHECKPOINT_KEY);
  } catch (error) {
    throw new Error(`COUNTERSIGN_CHECKPOINT_KEY: ${(error as Error).message}`);
  }
}
