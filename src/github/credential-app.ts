import type { ProbotOctokit } from "probot";

/** A permissions object as GitHub returns it, keeping only string levels. */
function levels(permissions: object | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(permissions ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}

// The credential app's GitHub calls. `appOctokit` authenticates as the credential app (its JWT);
// revocation authenticates with the token itself, the only way GitHub revokes one.

/** The credential app's installation on `owner/repo` and the permissions it has there; null when it is not installed there. */
export async function credentialInstallation(appOctokit: ProbotOctokit, owner: string, repo: string): Promise<{ id: number; permissions: Record<string, string> } | null> {
  try {
    const { data } = await appOctokit.request("GET /repos/{owner}/{repo}/installation", { owner, repo });
    return { id: data.id, permissions: levels(data.permissions) };
  } catch (error) {
    if ((error as { status?: number }).status === 404) return null;
    throw error;
  }
}

/** Mints an installation token for one repository (by id) with exactly `permissions`. */
export async function createRepositoryToken(
  appOctokit: ProbotOctokit,
  installationId: number,
  repositoryId: number,
  permissions: Record<string, string>,
): Promise<{ token: string; expiresAt: Date; permissions: Record<string, string> }> {
  const { data } = await appOctokit.request("POST /app/installations/{installation_id}/access_tokens", { installation_id: installationId, repository_ids: [repositoryId], permissions });
  return { token: data.token, expiresAt: new Date(data.expires_at), permissions: levels(data.permissions) };
}

/** Revokes the token `tokenOctokit` authenticates with (`DELETE /installation/token`). */
export async function revokeOwnToken(tokenOctokit: ProbotOctokit): Promise<void> {
  await tokenOctokit.request("DELETE /installation/token");
}

/** The credential app's slug (`GET /app`, authenticated with its JWT): its bot pushes as `<slug>[bot]`. */
export async function credentialAppSlug(appOctokit: ProbotOctokit): Promise<string> {
  const { data } = await appOctokit.request("GET /app");
  const slug = (data as { slug?: unknown } | null)?.slug;
  if (typeof slug !== "string" || slug.length === 0) throw new Error("GitHub's answer names no slug");
  return slug;
}
