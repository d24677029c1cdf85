// Declarative command rules (compileRules, applyRules, loadRulesFile) and the kubectl/virtctl recognizer.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyRules, compileRules, loadRulesFile } from '../../../../src/instrumentations/child-process/command-rules';
import { recognizeCommand } from '../../../../src/instrumentations/child-process/known-commands';

const BUILD_RULE = {
  match: '^make -C SPECS/(?<name>[^/\\s]+)',
  name: 'scheduler.build.LocalBuild',
  attributes: { 'package.name': '${name}', 'build.kind': 'local', 'build.priority': 3 },
  successAttribute: 'build.success',
  errorAttribute: 'build.error',
};

describe('compileRules', () => {
  it('compiles valid rules and applies the first match with templates filled in', () => {
    const { rules, warnings } = compileRules({ rules: [BUILD_RULE, { match: '^(\\w+) (\\w+)', name: '$1.$2 costs $$1' }] });
    expect(warnings).toEqual([]);
    expect(rules).toHaveLength(2);
    expect(applyRules(rules, 'make -C SPECS/curl')).toEqual({
      name: 'scheduler.build.LocalBuild',
      attributes: { 'package.name': 'curl', 'build.kind': 'local', 'build.priority': 3 },
      successAttribute: 'build.success',
      errorAttribute: 'build.error',
    });
    expect(applyRules(rules, 'git fetch origin')).toEqual({ name: 'git.fetch costs $1', attributes: {}, successAttribute: undefined, errorAttribute: undefined });
    expect(applyRules(rules, 'ls')).toBeUndefined();
    expect(applyRules(undefined, 'ls')).toBeUndefined();
  });

  it('accepts a bare array and regex flags', () => {
    const { rules, warnings } = compileRules([{ match: '^MAKE', flags: 'i', name: 'build' }]);
    expect(warnings).toEqual([]);
    expect(applyRules(rules, 'make all')?.name).toBe('build');
  });

  it('skips each bad rule with one warning naming it, and keeps the others', () => {
    const { rules, warnings } = compileRules({
      rules: [
        { match: '([a-', name: 'broken-regex' },
        { match: '^x' },
        { match: '^y', name: 'wrong-attrs', attributes: ['a'] },
        'not an object',
        { match: '^z', name: 'bad-ref', attributes: { a: '${missing}' } },
        { match: '^w', name: 'typo', atributes: {} },
        { match: '^v', name: 'bad-value', attributes: { a: { nested: 1 } } },
        { match: '^u', name: 'bad-flags', flags: 'g' },
        { match: '^t(\\d)', name: 'num-$2' },
        { match: '^make', name: 'good' },
      ],
    });
    expect(rules.map((r) => r.name)).toEqual(['good']);
    expect(warnings).toHaveLength(9);
    expect(warnings[0]).toMatch(/^command rules: rules\[0\] \("broken-regex"\) "match" is not a valid regular expression: .*; the rule is skipped$/);
    expect(warnings[1]).toBe('command rules: rules[1] "name" must be a non-empty string; the rule is skipped');
    expect(warnings[2]).toContain('rules[2] ("wrong-attrs") "attributes" must be an object');
    expect(warnings[3]).toContain('rules[3] is not an object');
    expect(warnings[4]).toContain('rules[4] ("bad-ref") attribute "a" refers to group(s) ${missing}');
    expect(warnings[5]).toContain('rules[5] ("typo") has unknown key(s) "atributes"');
    expect(warnings[6]).toContain('rules[6] ("bad-value") attribute "a" must be');
    expect(warnings[7]).toContain('rules[7] ("bad-flags") "flags"');
    expect(warnings[8]).toContain('rules[8] ("num-$2") "name" refers to group(s) $2');
  });

  it('gives one warning for a document that is not rules', () => {
    for (const doc of [null, 42, 'x', { rule: [] }]) {
      const { rules, warnings } = compileRules(doc);
      expect(rules).toEqual([]);
      expect(warnings).toHaveLength(1);
    }
  });

  it('fills unmatched optional groups with nothing and keeps the rule name when a template ends up empty', () => {
    const { rules } = compileRules([{ match: '^run(?: (?<target>\\S+))?', name: '${target}', attributes: { t: '[${target}]' } }]);
    expect(applyRules(rules, 'run')).toMatchObject({ name: '${target}', attributes: { t: '[]' } });
    expect(applyRules(rules, 'run tests')).toMatchObject({ name: 'tests', attributes: { t: '[tests]' } });
  });
});

describe('loadRulesFile', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rules-'));
  it('loads a rules file', () => {
    const file = path.join(dir, 'rules.json');
    fs.writeFileSync(file, JSON.stringify({ rules: [BUILD_RULE, { match: '(', name: 'bad' }] }));
    const { rules, warnings } = loadRulesFile(file);
    expect(rules).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^command rules file ".*rules.json": rules\\[1\\] \\("bad"\\)`));
  });
  it('never throws: a missing file or bad JSON is one warning', () => {
    const missing = loadRulesFile(path.join(dir, 'nope.json'));
    expect(missing.rules).toEqual([]);
    expect(missing.warnings).toEqual([`command rules file "${path.join(dir, 'nope.json')}" cannot be read (ENOENT); no rules apply`]);
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, '{ "rules": [');
    const bad = loadRulesFile(file);
    expect(bad.rules).toEqual([]);
    expect(bad.warnings).toHaveLength(1);
    expect(bad.warnings[0]).toContain('is not valid JSON');
    expect(loadRulesFile(dir).warnings).toHaveLength(1); // a directory
  });
  it.runIf(process.platform !== 'win32')('never blocks or reads without end: a FIFO nobody writes, /dev/zero', () => {
    const fifo = path.join(dir, 'rules.fifo');
    spawnSync('mkfifo', [fifo]);
    expect(loadRulesFile(fifo).warnings).toEqual([`command rules file "${fifo}" cannot be read (not a regular file); no rules apply`]);
    expect(loadRulesFile('/dev/zero').warnings).toEqual(['command rules file "/dev/zero" cannot be read (not a regular file); no rules apply']);
  });
});

describe('recognizeCommand', () => {
  const k = (...args: string[]) => recognizeCommand(['kubectl', ...args]);
  const v = (...args: string[]) => recognizeCommand(['/usr/local/bin/virtctl', ...args]);
  it('kubectl: subcommand name, namespace, resource and object name', () => {
    expect(k('get', 'pods', '-n', 'kube-system')).toEqual({ name: 'kubectl get', attributes: { 'k8s.namespace.name': 'kube-system', 'k8s.resource': 'pods' } });
    expect(k('--namespace=ci', 'delete', 'vmi/my-vm', '--wait=false')).toEqual({
      name: 'kubectl delete',
      attributes: { 'k8s.namespace.name': 'ci', 'k8s.resource': 'vmi', 'k8s.object.name': 'my-vm' },
    });
    expect(k('get', 'deployment', 'web', 'api', '-o', 'json')).toMatchObject({ attributes: { 'k8s.resource': 'deployment', 'k8s.object.name': 'web,api' } });
    expect(k('apply', '-f', 'manifests/app.yaml', '-n', 'prod')).toEqual({
      name: 'kubectl apply',
      attributes: { 'k8s.namespace.name': 'prod', 'k8s.manifest.file': 'app.yaml' },
    });
    expect(k('apply', '-f', 'https://raw.example/o/r/main/deploy.yaml?token=x')).toMatchObject({ attributes: { 'k8s.manifest.file': 'deploy.yaml' } });
    expect(k('rollout', 'status', 'deployment/web', '-n', 'x')).toMatchObject({ name: 'kubectl rollout status', attributes: { 'k8s.resource': 'deployment', 'k8s.object.name': 'web' } });
    expect(k('logs', '-p', 'web-1', '-c', 'app')).toMatchObject({ name: 'kubectl logs', attributes: { 'k8s.resource': 'pod', 'k8s.object.name': 'web-1' } });
    expect(k('exec', '-it', 'web-1', '--', 'sh', '-c', 'ls')).toMatchObject({ name: 'kubectl exec', attributes: { 'k8s.object.name': 'web-1' } });
    expect(k('patch', 'svc', 'web', '-p', '{"spec":{}}')).toMatchObject({ name: 'kubectl patch', attributes: { 'k8s.resource': 'svc', 'k8s.object.name': 'web' } });
    expect(k('label', 'pods', 'foo', 'unhealthy=true')).toMatchObject({ attributes: { 'k8s.resource': 'pods', 'k8s.object.name': 'foo' } });
    expect(k('create', 'secret', 'generic', 'creds', '--from-literal=password=<redacted>')).toMatchObject({
      name: 'kubectl create',
      attributes: { 'k8s.resource': 'secret', 'k8s.object.name': 'creds' },
    });
    expect(k('config', 'use-context', 'kind-kind')).toEqual({ name: 'kubectl config use-context', attributes: {} });
    expect(k('--kubeconfig', '/tmp/kc', '-n', 'a', 'drain', 'node-1', '--ignore-daemonsets')).toMatchObject({ name: 'kubectl drain', attributes: { 'k8s.resource': 'node', 'k8s.object.name': 'node-1' } });
    expect(k()).toBeUndefined();
  });
  it('virtctl: subcommand name and the VM', () => {
    expect(v('start', 'my-vm', '-n', 'vms')).toEqual({ name: 'virtctl start', attributes: { 'k8s.namespace.name': 'vms', 'k8s.resource': 'vm', 'k8s.object.name': 'my-vm' } });
    expect(v('console', 'testvmi')).toMatchObject({ name: 'virtctl console', attributes: { 'k8s.resource': 'vmi', 'k8s.object.name': 'testvmi' } });
    expect(v('pause', 'vm', 'x')).toMatchObject({ name: 'virtctl pause', attributes: { 'k8s.resource': 'vm', 'k8s.object.name': 'x' } });
    expect(v('ssh', '-i', '/keys/id', 'fedora@vmi/testvmi.ci-ns', '--command', 'uptime')).toEqual({
      name: 'virtctl ssh',
      attributes: { 'k8s.namespace.name': 'ci-ns', 'k8s.resource': 'vmi', 'k8s.object.name': 'testvmi' },
    });
    expect(v('image-upload', 'dv', 'disk1', '--size=10Gi', '--image-path=/img.qcow2')).toMatchObject({ attributes: { 'k8s.resource': 'dv', 'k8s.object.name': 'disk1' } });
    expect(v('version')).toEqual({ name: 'virtctl version', attributes: {} });
  });
  it('ignores other programs', () => {
    expect(recognizeCommand(['kubectl-foo', 'get'])).toBeUndefined();
    expect(recognizeCommand(['ls', '-la'])).toBeUndefined();
  });
});
