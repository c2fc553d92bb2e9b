// The app runs from npm/runtimes/work/next-app; next and react are installed in npm/runtimes.
import { join } from 'node:path';

/** @type {import('next').NextConfig} */
export default {
  eslint: { ignoreDuringBuilds: true },
  outputFileTracingRoot: join(import.meta.dirname, '..', '..'),
};
