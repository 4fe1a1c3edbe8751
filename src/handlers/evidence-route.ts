import type { IncomingMessage, ServerResponse } from "node:http";
import { chainHead } from "../db/audit-log.js";
import { currentRepositoryName, pullRequestEvents } from "../db/pr-records.js";
import { renderEvidencePage } from "../evidence/evidence-page.js";
import { buildStory } from "../evidence/pr-story.js";
import { isValidEvidenceSignature, type EvidenceLinkSettings } from "../evidence/signed-links.js";
import type { Log } from "../services/event-context.js";
import type { AppServices } from "../services/create-services.js";

const PATH = /^\/countersign\/evidence\/([^/]+)\/([^/]+)\/([1-9]\d{0,8})$/;

// Evidence pages are for whoever holds a link from a check run, and nobody else: headers keep the
// page out of caches, referrers and frames, and it loads nothing from anywhere.
const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "private, no-store",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

/** The one answer to every request that may not see a page: it reveals nothing, not even why. */
function notFound(res: ServerResponse): true {
  res.writeHead(404, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end("Not Found");
  return true;
}

/**
 * Serves `/countersign/evidence/{owner}/{repo}/{number}?expires=…&signature=…`: the pull request's
 * evidence page, when the link's HMAC signature is valid and unexpired; otherwise a uniform 404.
 * Returns false for any other path, so Probot's other handlers see it.
 */
export function evidenceRoute(services: AppServices, settings: EvidenceLinkSettings, options: { webUrl: string; log: Log }): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://countersign.invalid");
    const match = PATH.exec(url.pathname);
    if (!match) return false;
    if (req.method !== "GET" && req.method !== "HEAD") return notFound(res);
    let repository: string;
    try {
      repository = `${decodeURIComponent(match[1] as string)}/${decodeURIComponent(match[2] as string)}`;
    } catch {
      return notFound(res);
    }
    const number = Number(match[3]);
    if (!isValidEvidenceSignature(settings, repository, number, url.searchParams.get("expires") ?? undefined, url.searchParams.get("signature") ?? undefined, services.clock())) {
      return notFound(res);
    }
    try {
      const events = await pullRequestEvents(services.db, repository, number);
      if (events.length === 0) return notFound(res);
      const head = await chainHead(services.db);
      const name = currentRepositoryName(events, repository);
      const page = renderEvidencePage(buildStory(name, number, events), { generatedAt: services.clock(), chainHead: head?.hash ?? null, repositoryUrl: `${options.webUrl}/${name}` });
      res.writeHead(200, PAGE_HEADERS);
      res.end(req.method === "HEAD" ? undefined : page);
    } catch (error) {
      options.log.error({ err: error, repository, number }, "countersign: could not render an evidence page");
      services.metrics.recordError("evidence_page");
      res.writeHead(500, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
      res.end("Countersign could not load this evidence; see the app's logs.");
    }
    return true;
  };
}
