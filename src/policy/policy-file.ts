// Where Countersign's policy lives. Every reader of the file (the loader, the GraphQL snapshot, the
// push that changes it, the evaluation that notices a pull request changing it) names it from here.

/** The policy file's path in a repository. */
export const POLICY_PATH = ".github/countersign.yml";

/** The repository whose policy file is the organization's: the floor every repository's policy starts from. */
export const ORGANIZATION_POLICY_REPO = ".github";

/** The policy source named when no policy file exists. */
export const DEFAULTS_SOURCE = `built-in defaults (no ${POLICY_PATH})`;
