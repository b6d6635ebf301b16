/**
 * Synthesizes the app as `cdk synth` would (bundling skipped, as for unit tests), with the
 * cdk-nag AwsSolutions pack installed; any unacknowledged finding makes `synth` throw.
 */
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { REPO_ROOT, loadConfig, type ImgfrontConfig } from '../lib/config.js';
import { acknowledge } from '../lib/nag.js';
import { buildApp } from '../lib/stack.js';

export function synth(region: string, tweak?: (c: ImgfrontConfig) => void) {
  const config = loadConfig();
  tweak?.(config);
  const outdir = mkdtempSync(join(tmpdir(), 'imgfront-cdk-'));
  // The same feature flags as `cdk synth` (cdk.json), with bundling skipped.
  const flags = (JSON.parse(readFileSync(join(REPO_ROOT, 'infra', 'cdk.json'), 'utf8')) as { context: object }).context;
  const app = new App({ outdir, context: { ...flags, 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildApp(app, { account: '123456789012', region, config });
  acknowledge(stacks);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  const template = Template.fromStack(stacks.main);
  return { app, stacks, assembly, template, outdir, config };
}
