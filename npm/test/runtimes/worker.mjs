// Cloudflare Workers runner (also the Vercel Edge one, bundled for
// `edge-light`): a worker whose test() handler `workerd test` calls. It
// fails when any check fails.
import * as lib from 'jwt-edge';
import { run, report } from './suite.js';

export default {
  async test(controller, env) {
    const results = await run(lib, { backend: 'webcrypto', backends: ['webcrypto', 'wasm'] });
    if (env.NODEJS_COMPAT !== undefined) {
      // The two Workers runs differ: Node's globals exist only with nodejs_compat.
      const compat = typeof globalThis.process === 'object' && typeof globalThis.Buffer === 'function';
      results.push({ name: `nodejs_compat is ${env.NODEJS_COMPAT}`, error: compat === (env.NODEJS_COMPAT === 'on') ? undefined : `process/Buffer present: ${compat}` });
    }
    if (!report(results, env.SUITE)) throw new Error('the runtime suite failed');
  },
};
