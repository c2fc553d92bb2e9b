// Deno runner: `jwt-edge` from node_modules through the `deno` condition,
// run with no permission flag (and --no-prompt, so a missing one fails).
import * as lib from 'jwt-edge';
import { run, report } from './suite.js';

const results = await run(lib, { backend: 'webcrypto', backends: ['webcrypto', 'wasm'] });
Deno.exit(report(results, 'deno') ? 0 : 1);
