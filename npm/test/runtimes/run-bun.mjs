// Bun runner: `jwt-edge` through the `bun` condition (the Node entry; Bun's
// node:crypto is the default backend).
import * as lib from 'jwt-edge';
import { run, report } from './suite.js';

const results = await run(lib, { backend: 'node', backends: ['node', 'webcrypto', 'wasm'] });
const required = require('jwt-edge');
results.push({ name: 'require and import share one instance', error: required.verifyJwt === lib.verifyJwt ? undefined : 'two instances' });
process.exitCode = report(results, 'bun') ? 0 : 1;
