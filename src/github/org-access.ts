import type { ProbotOctokit } from "probot";
import { z } from "zod";

// The organization reads the dashboard's access check makes: whether the organization has installed
// this app (asked as the app, with its JWT) and a person's membership of it (asked as the
// installation, which "Members: read" allows). GitHub answers 404 for "no such installation" and for
// "not a member"; both are plain answers here, and any other error is thrown (the caller denies).

/** The organization's installation of this app: its id, and the organization's login as GitHub spells it. */
export interface OrgInstallation {
  id: number;
  login: string;
}

/** A person's membership of an organization: `admin` is an owner; only `active` counts (not `pending`). */
export interface OrgMembership {
  role: string;
  state: string;
}

const installationSchema = z.object({ id: z.number().int().positive(), account: z.object({ login: z.string().min(1) }) });
const membershipSchema = z.object({ role: z.string(), state: z.string() });

function isNotFound(error: unknown): boolean {
  return (error as { status?: number }).status === 404;
}

/** `GET /orgs/{org}/installation`, with the app's JWT client; null when the organization has not installed it. */
export async function readOrgInstallation(appOctokit: ProbotOctokit, org: string): Promise<OrgInstallation | null> {
  try {
    const { data } = await appOctokit.rest.apps.getOrgInstallation({ org });
    const parsed = installationSchema.parse(data);
    return { id: parsed.id, login: parsed.account.login };
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/** `GET /orgs/{org}/memberships/{username}`, with the installation's client; null when not a member. */
export async function readOrgMembership(octokit: ProbotOctokit, org: string, login: string): Promise<OrgMembership | null> {
  try {
    const { data } = await octokit.rest.orgs.getMembershipForUser({ org, username: login });
    return membershipSchema.parse(data);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}
