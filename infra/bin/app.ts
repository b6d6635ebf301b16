#!/usr/bin/env node
/** `cdk synth` / `cdk deploy` entry: every stack imgfront.json calls for, checked by cdk-nag. */
import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Validations } from 'aws-cdk-lib';

import { buildApp } from '../lib/stack.js';
import { acknowledge } from '../lib/nag.js';

// IMGFRONT_SKIP_BUNDLING=1 synthesizes without building the Rust functions (fast, offline
// checks); `just synth` bundles them with cargo-lambda for arm64.
const skipBundling = process.env.IMGFRONT_SKIP_BUNDLING === '1';
const app = new App(skipBundling ? { postCliContext: { 'aws:cdk:bundling-stacks': [] } } : {});
const region = app.node.tryGetContext('region') ?? process.env.CDK_DEFAULT_REGION ?? 'us-east-1';
const stacks = buildApp(app, { account: process.env.CDK_DEFAULT_ACCOUNT, region });
acknowledge(stacks);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
