import init, * as lib from 'jwt-edge';
import { runChecks } from './checks.js';

runChecks({ ...lib, default: init }).then((r) => { window.__results = r; }, (e) => { window.__results = { error: `${e && e.code} ${e && e.message}` }; });
