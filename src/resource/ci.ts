// The `ci` resource detector: which CI job a process runs in (cicd.* and vcs.* attributes), from the CI's own variables.
import type { ResourceDetector } from '@opentelemetry/resources';
import { redactUrlCredentials } from '../redaction/index';

/** The semantic conventions' CI/CD and VCS resource attributes this detector sets (string values only). */
export type CiAttributes = Partial<
  Record<
    | 'cicd.pipeline.name'
    | 'cicd.pipeline.run.id'
    | 'cicd.pipeline.run.url.full'
    | 'cicd.pipeline.task.name'
    | 'vcs.repository.url.full'
    | 'vcs.ref.head.name'
    | 'vcs.ref.head.revision'
    | 'vcs.change.id',
    string
  >
>;

type Env = Readonly<Record<string, string | undefined>>;

interface CiProvider {
  /** For messages and tests. */
  name: string;
  /** True when the environment is this CI's: a variable only it sets. */
  detect(env: Env): boolean;
  attributes(env: Env): CiAttributes;
}

/** `refs/heads/main` -> `main`; `refs/tags/v1` -> `v1`; other values unchanged. */
const shortRef = (ref: string | undefined) => ref?.replace(/^refs\/(heads|tags)\//, '');
/** A value that is set and not empty; CIs often export a variable with no value. */
const v = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value);
const joinUrl = (base: string | undefined, ...parts: string[]) => (v(base) ? `${base!.replace(/\/+$/, '')}/${parts.join('/')}` : undefined);

/** GitHub Actions: https://docs.github.com/en/actions/reference/workflows-and-actions/variables */
const githubActions: CiProvider = {
  name: 'GitHub Actions',
  detect: (env) => env.GITHUB_ACTIONS === 'true',
  attributes: (env) => {
    const repository = joinUrl(env.GITHUB_SERVER_URL, env.GITHUB_REPOSITORY ?? '');
    const pull = /^refs\/pull\/(\d+)\//.exec(env.GITHUB_REF ?? '');
    return {
      'cicd.pipeline.name': v(env.GITHUB_WORKFLOW),
      'cicd.pipeline.run.id': v(env.GITHUB_RUN_ID),
      'cicd.pipeline.run.url.full':
        repository && v(env.GITHUB_REPOSITORY) && v(env.GITHUB_RUN_ID)
          ? `${repository}/actions/runs/${env.GITHUB_RUN_ID}${v(env.GITHUB_RUN_ATTEMPT) ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : ''}`
          : undefined,
      'cicd.pipeline.task.name': v(env.GITHUB_JOB),
      'vcs.repository.url.full': v(env.GITHUB_REPOSITORY) ? repository : undefined,
      // On a pull request GITHUB_REF_NAME is `123/merge`; the branch is GITHUB_HEAD_REF.
      'vcs.ref.head.name': v(env.GITHUB_HEAD_REF) ?? v(env.GITHUB_REF_NAME),
      'vcs.ref.head.revision': v(env.GITHUB_SHA),
      'vcs.change.id': pull?.[1],
    };
  },
};

/** GitLab CI/CD: https://docs.gitlab.com/ci/variables/predefined_variables/ */
const gitlab: CiProvider = {
  name: 'GitLab CI',
  detect: (env) => env.GITLAB_CI === 'true',
  attributes: (env) => ({
    'cicd.pipeline.name': v(env.CI_PIPELINE_NAME) ?? v(env.CI_PROJECT_PATH),
    'cicd.pipeline.run.id': v(env.CI_PIPELINE_ID),
    'cicd.pipeline.run.url.full': v(env.CI_PIPELINE_URL),
    'cicd.pipeline.task.name': v(env.CI_JOB_NAME),
    'vcs.repository.url.full': v(env.CI_PROJECT_URL),
    'vcs.ref.head.name': v(env.CI_MERGE_REQUEST_SOURCE_BRANCH_NAME) ?? v(env.CI_COMMIT_REF_NAME),
    'vcs.ref.head.revision': v(env.CI_COMMIT_SHA),
    'vcs.change.id': v(env.CI_MERGE_REQUEST_IID),
  }),
};

/** Jenkins (and its Git and multibranch plugins): https://www.jenkins.io/doc/book/pipeline/jenkinsfile/#using-environment-variables */
const jenkins: CiProvider = {
  name: 'Jenkins',
  detect: (env) => v(env.JENKINS_URL) !== undefined && v(env.BUILD_ID) !== undefined,
  attributes: (env) => ({
    'cicd.pipeline.name': v(env.JOB_NAME),
    'cicd.pipeline.run.id': v(env.BUILD_ID),
    'cicd.pipeline.run.url.full': v(env.BUILD_URL),
    'cicd.pipeline.task.name': v(env.STAGE_NAME),
    'vcs.repository.url.full': v(env.GIT_URL),
    'vcs.ref.head.name': v(env.CHANGE_BRANCH) ?? v(env.BRANCH_NAME) ?? shortRef(v(env.GIT_BRANCH)?.replace(/^origin\//, '')),
    'vcs.ref.head.revision': v(env.GIT_COMMIT),
    'vcs.change.id': v(env.CHANGE_ID),
  }),
};

/** Buildkite: https://buildkite.com/docs/pipelines/configure/environment-variables */
const buildkite: CiProvider = {
  name: 'Buildkite',
  detect: (env) => env.BUILDKITE === 'true',
  attributes: (env) => ({
    'cicd.pipeline.name': v(env.BUILDKITE_PIPELINE_NAME) ?? v(env.BUILDKITE_PIPELINE_SLUG),
    'cicd.pipeline.run.id': v(env.BUILDKITE_BUILD_ID),
    'cicd.pipeline.run.url.full': v(env.BUILDKITE_BUILD_URL),
    'cicd.pipeline.task.name': v(env.BUILDKITE_LABEL) ?? v(env.BUILDKITE_STEP_KEY),
    'vcs.repository.url.full': v(env.BUILDKITE_REPO),
    'vcs.ref.head.name': v(env.BUILDKITE_BRANCH),
    'vcs.ref.head.revision': v(env.BUILDKITE_COMMIT),
    // "false" when the build is not for a pull request.
    'vcs.change.id': env.BUILDKITE_PULL_REQUEST === 'false' ? undefined : v(env.BUILDKITE_PULL_REQUEST),
  }),
};

/** Azure Pipelines: https://learn.microsoft.com/en-us/azure/devops/pipelines/build/variables */
const azurePipelines: CiProvider = {
  name: 'Azure Pipelines',
  detect: (env) => env.TF_BUILD?.toLowerCase() === 'true',
  attributes: (env) => ({
    'cicd.pipeline.name': v(env.BUILD_DEFINITIONNAME),
    'cicd.pipeline.run.id': v(env.BUILD_BUILDID),
    'cicd.pipeline.run.url.full':
      v(env.SYSTEM_COLLECTIONURI) && v(env.SYSTEM_TEAMPROJECT) && v(env.BUILD_BUILDID)
        ? `${joinUrl(env.SYSTEM_COLLECTIONURI, encodeURIComponent(env.SYSTEM_TEAMPROJECT!))}/_build/results?buildId=${env.BUILD_BUILDID}`
        : undefined,
    'cicd.pipeline.task.name': v(env.SYSTEM_JOBDISPLAYNAME) ?? v(env.AGENT_JOBNAME),
    'vcs.repository.url.full': v(env.BUILD_REPOSITORY_URI),
    'vcs.ref.head.name': shortRef(v(env.SYSTEM_PULLREQUEST_SOURCEBRANCH) ?? v(env.BUILD_SOURCEBRANCH)),
    'vcs.ref.head.revision': v(env.BUILD_SOURCEVERSION),
    // GitHub pull requests have a number distinct from their id; Azure Repos ones only the id.
    'vcs.change.id': v(env.SYSTEM_PULLREQUEST_PULLREQUESTNUMBER) ?? v(env.SYSTEM_PULLREQUEST_PULLREQUESTID),
  }),
};

/**
 * Prow (Kubernetes' CI, kops' too): https://docs.prow.k8s.io/docs/jobs/#job-environment-variables
 * Prow gives no URL of the run (it depends on the deployment's Spyglass); its repositories are GitHub's.
 */
const prow: CiProvider = {
  name: 'Prow',
  detect: (env) => v(env.PROW_JOB_ID) !== undefined,
  attributes: (env) => ({
    'cicd.pipeline.name': v(env.JOB_NAME),
    'cicd.pipeline.run.id': v(env.BUILD_ID),
    'vcs.repository.url.full': v(env.REPO_OWNER) && v(env.REPO_NAME) ? `https://github.com/${env.REPO_OWNER}/${env.REPO_NAME}` : undefined,
    // Presubmits test the pull request's head; postsubmits the base branch.
    'vcs.ref.head.name': v(env.PULL_NUMBER) ? v(env.PULL_HEAD_REF) : v(env.PULL_BASE_REF),
    'vcs.ref.head.revision': v(env.PULL_PULL_SHA) ?? v(env.PULL_BASE_SHA),
    'vcs.change.id': v(env.PULL_NUMBER),
  }),
};

/** In order: Prow before Jenkins (both set JOB_NAME and BUILD_ID; only Prow sets PROW_JOB_ID). */
export const CI_PROVIDERS: readonly CiProvider[] = [githubActions, gitlab, buildkite, azurePipelines, prow, jenkins];

/** The CI the environment belongs to, if any. */
export function detectCi(env: Env): { provider: string; attributes: CiAttributes } | undefined {
  const provider = CI_PROVIDERS.find((p) => p.detect(env));
  if (!provider) return undefined;
  const attributes: CiAttributes = {};
  for (const [key, value] of Object.entries(provider.attributes(env)) as [keyof CiAttributes, string | undefined][]) {
    // A URL with credentials in it (a Jenkins GIT_URL can carry a token) keeps them out of telemetry.
    if (value !== undefined) attributes[key] = key.endsWith('.url.full') ? redactUrlCredentials(value) : value;
  }
  return { provider: provider.name, attributes };
}

/** The detector (`ci` in OTEL_NODE_RESOURCE_DETECTORS): the process's environment only, nothing asked of the network. */
export const ciDetector: ResourceDetector = {
  detect: () => ({ attributes: detectCi(process.env)?.attributes ?? {} }),
};
