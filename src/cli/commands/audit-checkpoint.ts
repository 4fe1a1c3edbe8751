import { randomBytes } from "node:crypto";
import { z } from "zod";
import { signerKeyFromSeed } from "../../audit/checkpoint.js";
import { signLogHead } from "../../services/audit-checkpoints.js";
import { auditDatabaseUrl } from "../audit/audit-reads.js";
import { defineCommand, EXIT } from "../command.js";
import { auditEnvironment, databaseUrlOption, withAuditDatabase } from "./audit-database.js";
import { checkpointKeyEnvironment, checkpointSigner } from "./checkpoint-keys.js";

/** `countersign audit checkpoint-key`: a new Ed25519 checkpoint key. */
export const auditCheckpointKeyCommand = defineCommand({
  name: "audit checkpoint-key",
  summary: "makes a new checkpoint signing key, and prints it with its public key",
  description: `Prints a new Ed25519 key for signing audit-log checkpoints: the private key (set it as
COUNTERSIGN_CHECKPOINT_KEY, kept as secret as the app's private key) and its public key (publish it;
the app also serves it at /.well-known/countersign-checkpoint-keys). To rotate, set the new key and add
the old public key to COUNTERSIGN_CHECKPOINT_RETIRED_KEYS: checkpoints it signed stay verifiable.`,
  options: {
    name: {
      placeholder: "<name>",
      meaning: "the log's name, written into every checkpoint (e.g. your app's host name)",
      example: "countersign.acme.example",
      mustBe: "a name without spaces or '+'",
      schema: z.string().regex(/^[^\s+]+$/),
    },
  },
  examples: [{ command: "countersign audit checkpoint-key --name countersign.acme.example", says: "prints a private key for COUNTERSIGN_CHECKPOINT_KEY and the public key to publish" }],
  exits: [
    [EXIT.pass, "a key was made"],
    [EXIT.error, "a wrong argument"],
  ],
  environment: [],
  async run(args, _env, io) {
    const { signer, privateText } = signerKeyFromSeed(args.name, randomBytes(32));
    io.out(`COUNTERSIGN_CHECKPOINT_KEY=${privateText}\n`);
    io.out(`# Public key (publish it; it checks this key's checkpoints):\n${signer.verifier.encoded}\n`);
    return EXIT.pass;
  },
});

/** `countersign audit checkpoint`: signs the log's head now and prints the checkpoint. */
export const auditCheckpointCommand = defineCommand({
  name: "audit checkpoint",
  summary: "signs the audit log's head now and prints the checkpoint (read-only: nothing is stored)",
  description: `Checks every link of the chain and every event after the newest stored checkpoint, then signs
the head with COUNTERSIGN_CHECKPOINT_KEY and prints the checkpoint, for you to keep where the
database's owner cannot reach it. The app signs one itself every COUNTERSIGN_CHECKPOINT_SECONDS and
puts the newest on every check run; this is the on-demand one (the database is not written).`,
  options: { "database-url": databaseUrlOption },
  examples: [{ command: "countersign audit checkpoint >> checkpoints.txt", says: "appends a checkpoint of the current head to a file kept elsewhere" }],
  exits: [
    [EXIT.pass, "the head was signed and printed"],
    [EXIT.error, "the command failed: no key, no database, an empty log"],
    [EXIT.broken, "the audit log failed its checks, so it was not signed"],
  ],
  environment: [...auditEnvironment, ...checkpointKeyEnvironment],
  async run(args, env, io) {
    const signer = checkpointSigner(env);
    return withAuditDatabase(auditDatabaseUrl(args["database-url"], env), async ({ db }) => {
      const outcome = await signLogHead(db, signer, [signer.verifier], () => new Date(), { store: false, always: true });
      if (outcome.kind === "empty") throw new Error("the audit log is empty: there is nothing to sign");
      if (outcome.kind === "refused") {
        io.err(`countersign audit checkpoint: not signed: ${outcome.reason}\n`);
        return EXIT.broken;
      }
      io.out(outcome.note);
      return EXIT.pass;
    });
  },
});
