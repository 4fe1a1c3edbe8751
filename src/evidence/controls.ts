// The controls Countersign puts in force, and how they map to the frameworks security teams report
// against. Kept in code so the evidence page shows it; docs/controls-mapping.md is the same table for
// readers (a unit test keeps the two in step). The mapping is Countersign's reading of each framework.

export interface Control {
  id: string;
  name: string;
  /** What Countersign does, in one sentence. */
  what: string;
  /** OWASP Top 10 for Agentic Applications (2026): ASI ids. */
  owaspAgentic: string[];
  /** CSA MAESTRO layers. */
  maestro: string[];
  /** NIST AI RMF 1.0, GOVERN function subcategories. */
  nistGovern: string[];
}

export const CONTROLS: readonly Control[] = [
  {
    id: "CS-1",
    name: "Agent identification",
    what: "Every pull request and push is checked for agent identities (by account id, then login) and agent commit trailers; unidentifiable authors are treated as agents.",
    owaspAgentic: ["ASI03 Identity & Privilege Abuse", "ASI10 Rogue Agents"],
    maestro: ["L7 Agent Ecosystem", "L6 Security & Compliance"],
    nistGovern: ["GOVERN 1.6", "GOVERN 6.1"],
  },
  {
    id: "CS-2",
    name: "Named human delegation",
    what: "An agent's change needs a delegation by a person the policy allows (permission and teams read from GitHub at the time), naming the task; agents and bots can never delegate.",
    owaspAgentic: ["ASI01 Agent Goal Hijack", "ASI10 Rogue Agents"],
    maestro: ["L7 Agent Ecosystem", "L6 Security & Compliance"],
    nistGovern: ["GOVERN 2.1", "GOVERN 3.2"],
  },
  {
    id: "CS-3",
    name: "Delegation scope and expiry",
    what: "A delegation limits the paths and base branches the agent may change and lapses at its expiry; anything outside blocks.",
    owaspAgentic: ["ASI02 Tool Misuse & Exploitation", "ASI03 Identity & Privilege Abuse"],
    maestro: ["L3 Agent Frameworks", "L6 Security & Compliance"],
    nistGovern: ["GOVERN 1.4", "GOVERN 3.2"],
  },
  {
    id: "CS-4",
    name: "Independent human approval",
    what: "Merging needs approvals of the exact head commit by people who are neither the agent, the delegator, the author nor a co-author, with the required permission and teams.",
    owaspAgentic: ["ASI09 Human-Agent Trust Exploitation", "ASI01 Agent Goal Hijack", "ASI05 Unexpected Code Execution"],
    maestro: ["L6 Security & Compliance"],
    nistGovern: ["GOVERN 3.2", "GOVERN 1.4"],
  },
  {
    id: "CS-5",
    name: "Risk tiers",
    what: "Changes to CI workflows, the policy, ownership, infrastructure and dependency manifests (and any tier the policy defines) need more or specific approvals, shorter delegations, or are closed to agents.",
    owaspAgentic: ["ASI04 Agentic Supply Chain Vulnerabilities", "ASI05 Unexpected Code Execution"],
    maestro: ["L4 Deployment & Infrastructure", "L6 Security & Compliance"],
    nistGovern: ["GOVERN 1.3", "GOVERN 1.4"],
  },
  {
    id: "CS-6",
    name: "Policy as code, judged from the base branch",
    what: "The policy is versioned in the repository (and the organization), read from the base branch so a change cannot rewrite its own rules, validated strictly, and recorded by hash with every decision.",
    owaspAgentic: ["ASI01 Agent Goal Hijack", "ASI10 Rogue Agents"],
    maestro: ["L6 Security & Compliance"],
    nistGovern: ["GOVERN 1.2", "GOVERN 1.4", "GOVERN 1.5"],
  },
  {
    id: "CS-7",
    name: "Direct-push detection",
    what: "An agent pushing to a protected branch without a pull request is flagged with a failing check and an audit event.",
    owaspAgentic: ["ASI10 Rogue Agents", "ASI03 Identity & Privilege Abuse"],
    maestro: ["L4 Deployment & Infrastructure", "L5 Evaluation & Observability"],
    nistGovern: ["GOVERN 1.5", "GOVERN 4.3"],
  },
  {
    id: "CS-8",
    name: "Tool inventory",
    what: "What each agent could do (its GitHub App's permissions and events, or a machine user's permission) is recorded with the delegation that authorised it.",
    owaspAgentic: ["ASI02 Tool Misuse & Exploitation", "ASI03 Identity & Privilege Abuse"],
    maestro: ["L3 Agent Frameworks", "L7 Agent Ecosystem"],
    nistGovern: ["GOVERN 1.6", "GOVERN 6.1"],
  },
  {
    id: "CS-9",
    name: "Tamper-evident audit trail",
    what: "Every delegation, refusal, approval verdict, decision and flag is an append-only, hash-chained event; verification names the first altered, removed or reordered event.",
    owaspAgentic: ["ASI08 Cascading Failures", "ASI10 Rogue Agents"],
    maestro: ["L5 Evaluation & Observability", "L6 Security & Compliance"],
    nistGovern: ["GOVERN 1.4", "GOVERN 4.2", "GOVERN 4.3"],
  },
  {
    id: "CS-10",
    name: "Fail closed",
    what: "Any error, missing data, invalid policy or unknown actor leaves the check blocking, with an error id in the logs.",
    owaspAgentic: ["ASI08 Cascading Failures"],
    maestro: ["L6 Security & Compliance"],
    nistGovern: ["GOVERN 4.1"],
  },
];
