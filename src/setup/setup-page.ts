import { html, htmlDocument } from "../evidence/html.js";
import type { AppManifest } from "./app-manifest.js";

// The page a new organisation sees first (`npm start` without credentials): what will be registered on
// GitHub, where webhooks will go, and the button that posts the manifest to GitHub. The manifest is
// JSON inside an HTML attribute: it is escaped like every other value here, so an apostrophe, a quote
// or an ampersand anywhere in app.yml reaches GitHub exactly as written. No scripts; the form may post
// only to GitHub (the page's Content-Security-Policy).

export interface SetupPageInput {
  manifest: AppManifest;
  /** GitHub's "register a new app" form, with the state that this process will accept back. */
  registerUrl: string;
  /** Where GitHub is (github.com or the Enterprise Server). */
  githubUrl: string;
  /** The organization the app is registered under, or null for the person's own account. */
  organization: string | null;
  /** Set when webhooks go through a proxy channel rather than straight to this process. */
  webhookProxyUrl: string | null;
  webhookPath: string;
  /** Whether GitHub can probably not reach the webhook address (localhost without a proxy). */
  unreachableWebhook: boolean;
}

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:760px;margin:0 auto;padding:24px 16px}
section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:16px 20px;margin-bottom:16px}
h1{font-size:22px;margin:0 0 8px} h2{font-size:17px;margin:0 0 8px}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eff1f3;padding:1px 4px;border-radius:4px;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;font-size:14px} th,td{border-bottom:1px solid #eaeef2;padding:4px 8px;text-align:left}
button{font:inherit;font-weight:600;color:#fff;background:#1f883d;border:1px solid #1a7f37;border-radius:6px;padding:8px 16px;cursor:pointer}
.warn{border-color:#d4a72c;background:#fff8c5}
.muted{color:#59636e;font-size:13px}
`;

/** The setup page's HTML. */
export function renderSetupPage(input: SetupPageInput): string {
  const { manifest } = input;
  const permissions = Object.entries(manifest.default_permissions)
    .map(([name, access]) => `<tr><td><code>${html(name)}</code></td><td>${html(access)}</td></tr>`)
    .join("");
  const where = input.organization ? `the organization <strong>${html(input.organization)}</strong>` : "your own account (set <code>GH_ORG</code> to register it under an organization)";
  const webhooks = input.webhookProxyUrl
    ? `GitHub will send webhooks to the proxy channel <code>${html(input.webhookProxyUrl)}</code>, which forwards each delivery to this process's <code>${html(input.webhookPath)}</code> while <code>npm start</code> runs.`
    : `GitHub will send webhooks to <code>${html(manifest.hook_attributes.url)}</code>.`;
  return htmlDocument({
    title: `Register ${manifest.name} on GitHub`,
    style: STYLE,
    body: `<main>
<section>
<h1>Register ${html(manifest.name)} on GitHub</h1>
<p>${html(manifest.description)}</p>
<p>The button below asks ${html(input.githubUrl)} to create a GitHub App named <strong>${html(manifest.name)}</strong> under ${where}. GitHub shows you what it will create and lets you change the name before anything is created; then it sends you back here, and this process writes the app's id, private key and webhook secret to <code>.env</code> and starts receiving webhooks.</p>
<form action="${html(input.registerUrl)}" method="post">
<input type="hidden" name="manifest" id="manifest" value="${html(JSON.stringify(manifest))}">
<button type="submit">Register GitHub App</button>
</form>
</section>
<section${input.unreachableWebhook ? ' class="warn"' : ""} id="webhooks">
<h2>Webhooks</h2>
<p>${webhooks}</p>
${input.unreachableWebhook ? `<p><strong>GitHub cannot reach this address.</strong> To try Countersign on this machine, set <code>WEBHOOK_PROXY_URL</code> to a channel from <a href="https://smee.io/">smee.io</a> (or leave it unset and let the setup page create one, without <code>NO_SMEE_SETUP=true</code>); to deploy, set <code>COUNTERSIGN_PUBLIC_URL</code> to the address GitHub can reach. Then reload this page.</p>` : ""}
</section>
<section id="permissions">
<h2>What the app may do</h2>
<table><thead><tr><th scope="col">Permission</th><th scope="col">Access</th></tr></thead><tbody>${permissions}</tbody></table>
<p>Events: ${manifest.default_events.map((event) => `<code>${html(event)}</code>`).join(" ")}</p>
<p class="muted">From <code>app.yml</code>; the README explains what each is for.</p>
</section>
<section id="existing">
<h2>Already registered?</h2>
<p>To run with an app you registered before, put its <code>APP_ID</code>, <code>PRIVATE_KEY</code> (or <code>PRIVATE_KEY_PATH</code>) and <code>WEBHOOK_SECRET</code> in <code>.env</code> or the environment and restart <code>npm start</code>.</p>
</section>
</main>`,
  });
}

/** A short page for the end of the flow, or for what went wrong in it. */
export function renderSetupMessage(title: string, paragraphs: string[]): string {
  return htmlDocument({ title, style: STYLE, body: `<main><section><h1>${html(title)}</h1>${paragraphs.map((paragraph) => `<p>${html(paragraph)}</p>`).join("")}</section></main>` });
}
