#!/usr/bin/env node
/** `cdk synth` / `cdk deploy` entry: every stack imgfront.json calls for, checked by cdk-nag. */
import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Validations } from 'aws-cdk-lib';

import { buildApp } from '../lib/stack.js';
import { acknowledge } from '../lib/nag.js';

const app = new App();
const region = app.node.tryGetContext('region') ?? process.env.CDK_DEFAULT_REGION ?? 'us-east-1';
const stacks = buildApp(app, { account: process.env.CDK_DEFAULT_ACCOUNT, region });
acknowledge(stacks);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
