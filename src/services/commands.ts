import { commandRegistry } from "../commands/registry.js";
import { DELEGATE } from "./handle-delegate-command.js";
import type { CommandEntry } from "./run-command.js";

/**
 * The commands Countersign answers in issue and pull request comments. A new command is one more
 * entry: its syntax in src/commands/ (name, parser, usage), its service in src/services/, its replies
 * in src/evidence/.
 */
export const COMMANDS = commandRegistry<CommandEntry<{ kind: string }>>([DELEGATE]);
