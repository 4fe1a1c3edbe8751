import type { ProbotOctokit } from "probot";
import { z } from "zod";

const QUERY = `query CountersignIssuePullRequests($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) {
    databaseId
    issue(number: $number) {
      closedByPullRequestsReferences(first: 25, includeClosedPrs: false) { nodes { number state repository { databaseId } } }
      timelineItems(last: 50, itemTypes: [CROSS_REFERENCED_EVENT, CONNECTED_EVENT]) {
        nodes {
          __typename
          ... on CrossReferencedEvent { source { __typename ... on PullRequest { number state repository { databaseId } } } }
          ... on ConnectedEvent { subject { __typename ... on PullRequest { number state repository { databaseId } } } }
        }
      }
    }
  }
}`;

const prRefSchema = z.object({
  number: z.number().int().optional(),
  state: z.string().optional(),
  repository: z.object({ databaseId: z.number().int() }).optional(),
});

const responseSchema = z.object({
  repository: z.object({
    databaseId: z.number().int(),
    issue: z
      .object({
        closedByPullRequestsReferences: z.object({ nodes: z.array(prRefSchema.nullable()) }).nullish(),
        timelineItems: z.object({
          nodes: z.array(
            z.object({ source: prRefSchema.nullish(), subject: prRefSchema.nullish() }).passthrough().nullable(),
          ),
        }),
      })
      .nullable(),
  }),
});

/**
 * Open pull requests of the same repository that reference an issue (closing it, linked to it, or
 * mentioning it), so that delegating or revoking on the issue re-evaluates them straight away.
 */
export async function openPullRequestsReferencingIssue(
  octokit: ProbotOctokit,
  repo: { owner: string; name: string },
  issueNumber: number,
): Promise<number[]> {
  const raw = await octokit.graphql<unknown>(QUERY, { owner: repo.owner, name: repo.name, number: issueNumber });
  const { repository } = responseSchema.parse(raw);
  if (!repository.issue) return [];
  const refs = [
    ...(repository.issue.closedByPullRequestsReferences?.nodes ?? []),
    ...repository.issue.timelineItems.nodes.map((node) => node?.source ?? node?.subject ?? null),
  ];
  const numbers = new Set<number>();
  for (const ref of refs) {
    if (ref?.number !== undefined && ref.state === "OPEN" && ref.repository?.databaseId === repository.databaseId) numbers.add(ref.number);
  }
  return [...numbers].sort((a, b) => a - b);
}
