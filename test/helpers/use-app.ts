import nock from "nock";
import { afterEach, beforeAll, beforeEach } from "@jest/globals";
import { FakeGitHub } from "../mocks/github.js";
import { createTestApp, type TestApp } from "./test-app.js";

/** Per test: a fresh Countersign (real Probot, fresh database) and a fresh fake GitHub; no network. */
export function useApp(): { app: () => TestApp; github: () => FakeGitHub } {
  let app: TestApp | undefined;
  let github: FakeGitHub | undefined;
  beforeAll(() => {
    nock.disableNetConnect();
  });
  beforeEach(async () => {
    app = await createTestApp();
    github = new FakeGitHub();
    github.permissions.set("alice", "write");
    github.permissions.set("bob", "write");
    github.permissions.set("carol", "read");
    github.permissions.set("erin", "write");
    github.permissions.set("frank", "write");
    github.permissions.set("root-admin", "admin");
  });
  afterEach(async () => {
    github?.dispose();
    await app?.close();
  });
  return {
    app: () => {
      if (!app) throw new Error("app not started");
      return app;
    },
    github: () => {
      if (!github) throw new Error("fake GitHub not started");
      return github;
    },
  };
}
