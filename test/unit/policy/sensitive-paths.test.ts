import { describe, expect, test } from "@jest/globals";
import { builtInTiers } from "../../../src/policy/repo-policy.js";

// The built-in `sensitive` tier, by the files each ecosystem really reads: the names its tools write
// and look for, at every directory depth the ecosystem allows (a monorepo has many lock files), and
// GitHub's own files only where GitHub reads them.

const [sensitive] = builtInTiers();
const matches = (file: string) => sensitive?.matchesPath(file) ?? false;

describe("the built-in sensitive tier", () => {
  test.each([
    // GitHub and Countersign
    ".github/workflows/ci.yml",
    ".github/workflows/nested/deploy.yaml",
    ".github/actions/setup/action.yml",
    ".github/dependabot.yml",
    ".github/dependabot.yaml",
    ".github/countersign.yml",
    "CODEOWNERS",
    ".github/CODEOWNERS",
    "docs/CODEOWNERS",
    // Terraform, Bicep, Kubernetes, Helm
    "main.tf",
    "infra/network/main.tf",
    "infra/main.tf.json",
    "envs/prod.tfvars",
    "envs/prod.tfvars.json",
    ".terraform.lock.hcl",
    "infra/prod/.terraform.lock.hcl",
    "main.bicep",
    "infra/main.bicepparam",
    "k8s/deployment.yaml",
    "services/api/k8s/service.yaml",
    "helm/values.yaml",
    "charts/app/helm/templates/deploy.yaml",
    // Dockerfiles and Compose files
    "Dockerfile",
    "services/api/Dockerfile",
    "dockerfile",
    "Dockerfile.prod",
    "docker/Dockerfile.dev",
    "api.Dockerfile",
    "build/worker.dockerfile",
    "Containerfile",
    "images/Containerfile.base",
    "compose.yaml",
    "compose.yml",
    "deploy/compose.yaml",
    "compose.override.yaml",
    "compose.prod.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
    "docker-compose.override.yml",
    "ops/docker-compose.prod.yaml",
    "docker-compose-dev.yml",
    // npm, Yarn, pnpm, Bun
    "package.json",
    "packages/web/package.json",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "apps/a/npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "pnpm-workspace.yaml",
    "bun.lock",
    "bun.lockb",
    "apps/site/bun.lock",
    // Python
    "requirements.txt",
    "requirements-dev.txt",
    "service/requirements/base.txt",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "poetry.lock",
    "uv.lock",
    "tools/uv.lock",
    "Pipfile",
    "Pipfile.lock",
    // Go
    "go.mod",
    "go.sum",
    "cmd/tool/go.mod",
    "go.work",
    "go.work.sum",
    // Cargo, Bundler, Composer, NuGet
    "Cargo.toml",
    "Cargo.lock",
    "crates/core/Cargo.toml",
    "Gemfile",
    "Gemfile.lock",
    "mygem.gemspec",
    "composer.json",
    "composer.lock",
    "src/App/packages.lock.json",
    "Directory.Packages.props",
    "legacy/packages.config",
    // Maven, Gradle
    "pom.xml",
    "modules/core/pom.xml",
    "build.gradle",
    "app/build.gradle.kts",
    "settings.gradle",
    "settings.gradle.kts",
    "gradle.lockfile",
    "app/gradle.lockfile",
    "gradle/libs.versions.toml",
    "gradle/wrapper/gradle-wrapper.properties",
  ])("covers %s", (file) => {
    expect(matches(file)).toBe(true);
  });

  test.each([
    // GitHub reads these only at the repository's root (.github/) or in the three CODEOWNERS places.
    "src/.github/workflows/ci.yml",
    "packages/a/.github/dependabot.yml",
    "src/CODEOWNERS",
    ".github/countersign.yaml.example",
    // Names that only look alike.
    "src/app.ts",
    "README.md",
    "docs/guide.md",
    "package.json.bak",
    "packages.json",
    "mycompose.yaml",
    "composer.yaml",
    "compose.json",
    "docker-compose.md",
    "Dockerfiles/README.md",
    "src/docker.ts",
    "go.mod.tmpl",
    "Cargo.lock.orig",
    "requirements.md",
    "src/setup.ts",
    "gradle/other.properties",
    "yarn.lock.d/notes.txt",
  ])("leaves out %s", (file) => {
    expect(matches(file)).toBe(false);
  });
});
