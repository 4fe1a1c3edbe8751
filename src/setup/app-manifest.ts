import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { z } from "zod";

// The GitHub App manifest (https://docs.github.com/en/apps/sharing-github-apps/registering-a-github-app-from-a-manifest)
// Countersign registers itself with: app.yml says what the app is and what it may do; the setup page
// adds where this running copy receives webhooks and where GitHub sends the person back.

/** app.yml, the package's own: the setup page registers the app that this copy of the code is. */
export const APP_YML = fileURLToPath(new URL("../../app.yml", import.meta.url));

const access = z.enum(["read", "write", "admin"]);

/**
 * What app.yml may say. Strict: a key GitHub's manifest does not know would be dropped by GitHub
 * without a word, and a misspelt permission would register an app that cannot do its work. The
 * webhook address and the redirect are not here: they depend on where this copy runs.
 */
export const appYmlSchema = z.strictObject({
  /** Shown on GitHub; at most 34 characters, unique across GitHub (GitHub asks for another if taken). */
  name: z.string().min(1).max(34),
  description: z.string().min(1).max(1000),
  /** The app's homepage. */
  url: z.url({ protocol: /^https?$/ }),
  /** Whether accounts other than the owner may install it. */
  public: z.boolean(),
  default_events: z.array(z.string().regex(/^[a-z_]+$/, "an event name such as pull_request")).min(1),
  default_permissions: z.record(z.string().regex(/^[a-z_]+$/, "a permission name such as checks"), access),
});

export type AppYml = z.infer<typeof appYmlSchema>;

/** The manifest as GitHub receives it. */
export interface AppManifest extends AppYml {
  hook_attributes: { url: string; active: boolean };
  redirect_url: string;
  /** Where GitHub sends a person back after "Sign in with GitHub" (the organization dashboard). */
  callback_urls: string[];
  /** The dashboard signs people in when they open it, not when the app is installed. */
  request_oauth_on_install: false;
}

/** Reads and validates app.yml; the error names the file and each bad key. */
export function readAppYml(file: string = APP_YML): AppYml {
  const parsed = appYmlSchema.safeParse(parse(readFileSync(file, "utf8")));
  if (!parsed.success) {
    throw new Error(`${file} is not a valid GitHub App manifest: ${parsed.error.issues.map((issue) => `${issue.path.join(".") || "(file)"}: ${issue.message}`).join("; ")}`);
  }
  return parsed.data;
}

/**
 * The manifest for a copy of Countersign reachable at `baseUrl`. Webhooks go to the proxy channel when
 * there is one (GitHub cannot reach a laptop; the proxy client forwards each delivery to this
 * process's webhook path), otherwise straight to the webhook path on `baseUrl`.
 */
export function buildManifest(appYml: AppYml, where: { baseUrl: string; webhookPath: string; webhookProxyUrl?: string | undefined }): AppManifest {
  return {
    ...appYml,
    hook_attributes: { url: where.webhookProxyUrl ?? `${where.baseUrl}${where.webhookPath}`, active: true },
    redirect_url: `${where.baseUrl}/probot/setup`,
    callback_urls: [`${where.baseUrl}/countersign/oauth/callback`],
    request_oauth_on_install: false,
  };
}
