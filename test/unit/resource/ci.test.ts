// The `ci` resource detector, per CI, from each CI's documented variables (values as the CI sets them).
import { describe, it, expect } from 'vitest';
import { detectResources } from '@opentelemetry/resources';
import { ciDetector, detectCi } from '../../../src/resource/ci';
import { resolveConfig as resolve } from '../../../src/config';
import { buildResource } from '../../../src/sdk/resource';

const resolveConfig = (env: Record<string, string>) => resolve(env, { knownInstrumentations: [] });

describe('ci resource detector', () => {
  it('GitHub Actions: a pull_request run', () => {
    const env = {
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKFLOW: 'CI',
      GITHUB_RUN_ID: '1658821493',
      GITHUB_RUN_ATTEMPT: '2',
      GITHUB_JOB: 'test',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'octo-org/octo-repo',
      GITHUB_REF: 'refs/pull/42/merge',
      GITHUB_REF_NAME: '42/merge',
      GITHUB_HEAD_REF: 'feature-branch-1',
      GITHUB_BASE_REF: 'main',
      GITHUB_SHA: 'ffac537e6cbbf934b08745a378932722df287a53',
    };
    expect(detectCi(env)).toEqual({
      provider: 'GitHub Actions',
      attributes: {
        'cicd.pipeline.name': 'CI',
        'cicd.pipeline.run.id': '1658821493',
        'cicd.pipeline.run.url.full': 'https://github.com/octo-org/octo-repo/actions/runs/1658821493/attempts/2',
        'cicd.pipeline.task.name': 'test',
        'vcs.repository.url.full': 'https://github.com/octo-org/octo-repo',
        'vcs.ref.head.name': 'feature-branch-1',
        'vcs.ref.head.revision': 'ffac537e6cbbf934b08745a378932722df287a53',
        'vcs.change.id': '42',
      },
    });
  });

  it('GitHub Actions: a push to a branch has no change id; empty variables are not values', () => {
    const attributes = detectCi({
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: 'octo-org/octo-repo',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RUN_ID: '7',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_REF_NAME: 'main',
      GITHUB_HEAD_REF: '',
    })?.attributes;
    expect(attributes).toEqual({
      'cicd.pipeline.run.id': '7',
      'cicd.pipeline.run.url.full': 'https://github.com/octo-org/octo-repo/actions/runs/7',
      'vcs.repository.url.full': 'https://github.com/octo-org/octo-repo',
      'vcs.ref.head.name': 'main',
    });
  });

  it('GitLab CI: a merge request pipeline', () => {
    const env = {
      GITLAB_CI: 'true',
      CI_PIPELINE_NAME: '',
      CI_PROJECT_PATH: 'gitlab-org/gitlab-foss',
      CI_PROJECT_URL: 'https://gitlab.example.com/gitlab-org/gitlab-foss',
      CI_PIPELINE_ID: '1000',
      CI_PIPELINE_URL: 'https://gitlab.example.com/gitlab-org/gitlab-foss/-/pipelines/1000',
      CI_JOB_NAME: 'rspec:other',
      CI_COMMIT_REF_NAME: 'feature',
      CI_COMMIT_SHA: '1ecfd275763eff1d6b4844ea3168962458c9f27a',
      CI_MERGE_REQUEST_IID: '17',
      CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: 'feature',
      CI_REPOSITORY_URL: 'https://gitlab-ci-token:glcbt-secret@gitlab.example.com/gitlab-org/gitlab-foss.git',
    };
    expect(detectCi(env)).toEqual({
      provider: 'GitLab CI',
      attributes: {
        'cicd.pipeline.name': 'gitlab-org/gitlab-foss',
        'cicd.pipeline.run.id': '1000',
        'cicd.pipeline.run.url.full': 'https://gitlab.example.com/gitlab-org/gitlab-foss/-/pipelines/1000',
        'cicd.pipeline.task.name': 'rspec:other',
        'vcs.repository.url.full': 'https://gitlab.example.com/gitlab-org/gitlab-foss',
        'vcs.ref.head.name': 'feature',
        'vcs.ref.head.revision': '1ecfd275763eff1d6b4844ea3168962458c9f27a',
        'vcs.change.id': '17',
      },
    });
    expect(JSON.stringify(detectCi(env))).not.toContain('glcbt-secret');
  });

  it('Jenkins: a multibranch pull request build; credentials in GIT_URL are removed', () => {
    const env = {
      JENKINS_URL: 'https://ci.example.com/',
      JOB_NAME: 'app/PR-5',
      BUILD_ID: '12',
      BUILD_NUMBER: '12',
      BUILD_URL: 'https://ci.example.com/job/app/job/PR-5/12/',
      STAGE_NAME: 'Test',
      GIT_URL: 'https://bot:s3cret@github.com/example/app.git',
      GIT_COMMIT: '0a1b2c3d',
      BRANCH_NAME: 'PR-5',
      CHANGE_ID: '5',
      CHANGE_BRANCH: 'fix-login',
    };
    expect(detectCi(env)).toEqual({
      provider: 'Jenkins',
      attributes: {
        'cicd.pipeline.name': 'app/PR-5',
        'cicd.pipeline.run.id': '12',
        'cicd.pipeline.run.url.full': 'https://ci.example.com/job/app/job/PR-5/12/',
        'cicd.pipeline.task.name': 'Test',
        'vcs.repository.url.full': 'https://<redacted>@github.com/example/app.git',
        'vcs.ref.head.name': 'fix-login',
        'vcs.ref.head.revision': '0a1b2c3d',
        'vcs.change.id': '5',
      },
    });
    // A freestyle job with the Git plugin: GIT_BRANCH is `origin/main`.
    expect(detectCi({ JENKINS_URL: 'https://ci/', BUILD_ID: '3', GIT_BRANCH: 'origin/main' })?.attributes['vcs.ref.head.name']).toBe('main');
  });

  it('Buildkite: a pull request build, and "false" for no pull request', () => {
    const env = {
      BUILDKITE: 'true',
      BUILDKITE_PIPELINE_NAME: 'My Pipeline',
      BUILDKITE_PIPELINE_SLUG: 'my-pipeline',
      BUILDKITE_BUILD_ID: 'f62a1b4d-10f9-4790-bc1c-e2c3a0c80983',
      BUILDKITE_BUILD_NUMBER: '1514',
      BUILDKITE_BUILD_URL: 'https://buildkite.com/acme-inc/my-pipeline/builds/1514',
      BUILDKITE_LABEL: ':hammer: Tests',
      BUILDKITE_REPO: 'git@github.com:acme-inc/my-project.git',
      BUILDKITE_BRANCH: 'feature/x',
      BUILDKITE_COMMIT: '83a20ec058e2fb00e7fa4558c4c6e81e2dcf253d',
      BUILDKITE_PULL_REQUEST: '123',
    };
    expect(detectCi(env)).toEqual({
      provider: 'Buildkite',
      attributes: {
        'cicd.pipeline.name': 'My Pipeline',
        'cicd.pipeline.run.id': 'f62a1b4d-10f9-4790-bc1c-e2c3a0c80983',
        'cicd.pipeline.run.url.full': 'https://buildkite.com/acme-inc/my-pipeline/builds/1514',
        'cicd.pipeline.task.name': ':hammer: Tests',
        'vcs.repository.url.full': 'git@github.com:acme-inc/my-project.git',
        'vcs.ref.head.name': 'feature/x',
        'vcs.ref.head.revision': '83a20ec058e2fb00e7fa4558c4c6e81e2dcf253d',
        'vcs.change.id': '123',
      },
    });
    expect(detectCi({ ...env, BUILDKITE_PULL_REQUEST: 'false' })?.attributes['vcs.change.id']).toBeUndefined();
  });

  it('Azure Pipelines: a GitHub pull request build', () => {
    const env = {
      TF_BUILD: 'True',
      BUILD_DEFINITIONNAME: 'app-ci',
      BUILD_BUILDID: '4711',
      SYSTEM_COLLECTIONURI: 'https://dev.azure.com/fabrikam/',
      SYSTEM_TEAMPROJECT: 'Fabrikam Fiber',
      SYSTEM_JOBDISPLAYNAME: 'Build and test',
      BUILD_REPOSITORY_URI: 'https://github.com/fabrikam/app',
      BUILD_SOURCEBRANCH: 'refs/pull/9/merge',
      BUILD_SOURCEVERSION: '9f1c2d3e',
      SYSTEM_PULLREQUEST_SOURCEBRANCH: 'refs/heads/topic',
      SYSTEM_PULLREQUEST_PULLREQUESTID: '880051234',
      SYSTEM_PULLREQUEST_PULLREQUESTNUMBER: '9',
    };
    expect(detectCi(env)).toEqual({
      provider: 'Azure Pipelines',
      attributes: {
        'cicd.pipeline.name': 'app-ci',
        'cicd.pipeline.run.id': '4711',
        'cicd.pipeline.run.url.full': 'https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_build/results?buildId=4711',
        'cicd.pipeline.task.name': 'Build and test',
        'vcs.repository.url.full': 'https://github.com/fabrikam/app',
        'vcs.ref.head.name': 'topic',
        'vcs.ref.head.revision': '9f1c2d3e',
        'vcs.change.id': '9',
      },
    });
    expect(detectCi({ TF_BUILD: 'True', BUILD_SOURCEBRANCH: 'refs/heads/main' })?.attributes['vcs.ref.head.name']).toBe('main');
  });

  it('Prow: a kops presubmit (JOB_NAME and BUILD_ID as Jenkins sets them, but PROW_JOB_ID wins)', () => {
    const env = {
      CI: 'true',
      JOB_NAME: 'pull-kops-e2e-k8s-aws-calico',
      JOB_TYPE: 'presubmit',
      BUILD_ID: '1861093574467563520',
      PROW_JOB_ID: 'd5bca0b6-a2c5-4a1d-9d36-0ea1bfc9a7a6',
      REPO_OWNER: 'kubernetes',
      REPO_NAME: 'kops',
      PULL_BASE_REF: 'master',
      PULL_BASE_SHA: 'aaaaaaaa',
      PULL_NUMBER: '16950',
      PULL_PULL_SHA: 'bbbbbbbb',
      PULL_HEAD_REF: 'fix-dns',
      JENKINS_URL: 'https://not-really-jenkins/',
    };
    expect(detectCi(env)).toEqual({
      provider: 'Prow',
      attributes: {
        'cicd.pipeline.name': 'pull-kops-e2e-k8s-aws-calico',
        'cicd.pipeline.run.id': '1861093574467563520',
        'vcs.repository.url.full': 'https://github.com/kubernetes/kops',
        'vcs.ref.head.name': 'fix-dns',
        'vcs.ref.head.revision': 'bbbbbbbb',
        'vcs.change.id': '16950',
      },
    });
    // A postsubmit: the base branch and its commit.
    const post = detectCi({ PROW_JOB_ID: 'x', JOB_NAME: 'ci-kops-build', BUILD_ID: '1', REPO_OWNER: 'kubernetes', REPO_NAME: 'kops', PULL_BASE_REF: 'master', PULL_BASE_SHA: 'cccc' });
    expect(post?.attributes).toMatchObject({ 'vcs.ref.head.name': 'master', 'vcs.ref.head.revision': 'cccc' });
    expect(post?.attributes['vcs.change.id']).toBeUndefined();
  });

  it('outside CI (a bare CI=true included) sets nothing', () => {
    expect(detectCi({ CI: 'true', HOME: '/root', JOB_NAME: 'x', BUILD_ID: '1' })).toBeUndefined();
    expect(detectCi({})).toBeUndefined();
  });

  it('is on by default, has its own id, and OTEL_RESOURCE_ATTRIBUTES wins over it', async () => {
    const ciEnv = { GITHUB_ACTIONS: 'true', GITHUB_WORKFLOW: 'CI', GITHUB_RUN_ID: '5' };
    const saved = { ...process.env };
    try {
      Object.assign(process.env, ciEnv);
      expect(detectResources({ detectors: [ciDetector] }).attributes['cicd.pipeline.run.id']).toBe('5');
      const on = buildResource(resolveConfig({ OTEL_RESOURCE_ATTRIBUTES: 'cicd.pipeline.name=Release' }).config, {});
      expect(on.attributes).toMatchObject({ 'cicd.pipeline.name': 'Release', 'cicd.pipeline.run.id': '5' });
      const { config, warnings } = resolveConfig({ OTEL_NODE_RESOURCE_DETECTORS: 'env,host' });
      expect(warnings).toEqual([]);
      expect(buildResource(config, {}).attributes['cicd.pipeline.run.id']).toBeUndefined();
      expect(resolveConfig({ OTEL_NODE_RESOURCE_DETECTORS: 'ci' }).config.resourceDetectors).toEqual(['ci']);
    } finally {
      for (const key of Object.keys(ciEnv)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });
});
