// Node runner (Node 20 and 22): `jwt-edge` through the `node` condition.
import { createRequire } from 'node:module';
import * as lib from 'jwt-edge';
import { run, report } from './suite.js';

const results = await run(lib, { backend: 'node', backends: ['node', 'webcrypto', 'wasm'] });
const required = createRequire(import.meta.url)('jwt-edge');
results.push({
  name: 'require and import share one instance',
  error: required.JwtEdgeError === lib.JwtEdgeError && required.verifyJwt === lib.verifyJwt ? undefined : 'two instances',
});
process.exitCode = report(results, `node${process.versions.node.split('.')[0]}`) ? 0 : 1;
