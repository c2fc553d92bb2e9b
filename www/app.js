// The playground: a face over the jwt-edge npm package. All token and key
// logic is the core's (through ./engine.js); this file only wires inputs to
// calls and results to the page.
import * as engine from './engine.js';

const $ = (id) => document.getElementById(id);
const now = () => Math.floor(Date.now() / 1000);
const MULESOFT_TOKEN_ENDPOINT = 'https://anypoint.mulesoft.com/accounts/api/v2/oauth2/token';

// ----------------------------------------------------------------- tabs --
const tabs = ['keys', 'sign', 'verify', 'dpop'];
function showTab(name) {
  for (const tab of tabs) {
    const selected = tab === name;
    $(`tab-${tab}`).setAttribute('aria-selected', String(selected));
    $(`tab-${tab}`).tabIndex = selected ? 0 : -1;
    $(`panel-${tab}`).hidden = !selected;
  }
}
for (const tab of tabs) {
  $(`tab-${tab}`).addEventListener('click', () => showTab(tab));
  $(`tab-${tab}`).addEventListener('keydown', (event) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
    showTab(next);
    $(`tab-${next}`).focus();
  });
}

// --------------------------------------------------------------- errors --
function describe(error) {
  if (error && error.code) return `${error.code}: ${error.message}`;
  return String(error && error.message ? error.message : error);
}
function showError(id, error) {
  const node = $(id);
  if (error === null || error === undefined) {
    node.hidden = true;
    node.textContent = '';
    return;
  }
  node.textContent = typeof error === 'string' ? error : describe(error);
  node.hidden = false;
}

// --------------------------------------------------------------- output --
function saveFile(data, filename, type = 'text/plain') {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// `extra`: further downloads as [label, data, filename, type].
function card(container, title, text, filename, extra = []) {
  const box = document.createElement('div');
  box.className = 'card';
  const heading = document.createElement('h3');
  const label = document.createElement('span');
  label.textContent = title;
  const actions = document.createElement('span');
  actions.className = 'actions';
  const copy = document.createElement('button');
  copy.type = 'button';
  copy.textContent = 'Copy';
  copy.setAttribute('aria-label', `Copy ${title}`);
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      copy.textContent = 'Copied';
    } catch {
      copy.textContent = 'Select and copy';
    }
    setTimeout(() => { copy.textContent = 'Copy'; }, 1500);
  });
  const download = document.createElement('button');
  download.type = 'button';
  download.textContent = 'Download';
  download.setAttribute('aria-label', `Download ${title}`);
  download.addEventListener('click', () => saveFile(text, filename));
  actions.append(copy, download);
  for (const [label, data, name, type] of extra) {
    const more = document.createElement('button');
    more.type = 'button';
    more.textContent = label;
    more.setAttribute('aria-label', `Download ${title} as ${name}`);
    more.addEventListener('click', () => saveFile(data, name, type));
    actions.append(more);
  }
  heading.append(label, actions);
  const pre = document.createElement('pre');
  pre.textContent = text;
  pre.dataset.output = title;
  box.append(heading, pre);
  container.append(box);
}

// ----------------------------------------------------------------- keys --
function parseKeyText(text) {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed);
    } catch (error) {
      throw new Error(`not valid JSON: ${error.message}`);
    }
  }
  if (!trimmed.includes('-----BEGIN ')) {
    throw new Error('not a JWK or JWKS (JSON) nor a PEM block (-----BEGIN …-----)');
  }
  return trimmed;
}

// The cards of one key, as [title, text, filename]: computed first (the
// conversions are asynchronous), shown at once by showCards.
async function keyForms(jwk, prefix) {
  const withKid = { ...jwk, kid: engine.jwkThumbprint(jwk) };
  const cards = [
    [`${prefix}JWK (kid = RFC 7638 thumbprint)`, JSON.stringify(withKid, null, 2), 'key.jwk.json'],
    [`${prefix}Thumbprint (SHA-256)`, withKid.kid, 'thumbprint.txt'],
  ];
  if (jwk.kty === 'oct') return cards;
  const isPrivate = 'd' in jwk;
  if (isPrivate) {
    cards.push([`${prefix}Public JWK`, JSON.stringify(await publicJwkOf(jwk), null, 2), 'public.jwk.json']);
  }
  const formats = [['spki', 'PEM: SPKI public key'], ['pkcs1', 'PEM: PKCS#1'], ['pkcs8', 'PEM: PKCS#8 private key'], ['sec1', 'PEM: SEC1 EC private key']];
  for (const [format, title] of formats) {
    try {
      cards.push([`${prefix}${title}`, await engine.jwkToPem(jwk, { format }), `key.${format}.pem`]);
    } catch {
      // This format cannot hold this key (PKCS#1 for EC, SEC1 for RSA, ...).
    }
  }
  return cards;
}

function showCards(container, cards) {
  for (const [title, text, filename] of cards) card(container, title, text, filename);
}

// The public half, computed by the core: through its SPKI encoding.
async function publicJwkOf(jwk) {
  return engine.pemToJwk(await engine.jwkToPem(jwk, { format: 'spki' }), { kid: 'thumbprint' });
}

// Conversions are asynchronous: an answer that arrives after newer input
// was typed is dropped. Each panel counts its runs; a run shows its result
// only while it is still the latest.
const runs = {};
function latest(name) {
  const run = (runs[name] ?? 0) + 1;
  runs[name] = run;
  return () => runs[name] === run;
}

// The private key the Certificate and CSR cards sign with, and the
// certificate the inspection view shows (for the key match).
let privateJwk = null;
let pastedCertificate = null;

function rememberKey(jwk) {
  privateJwk = jwk && 'd' in jwk && jwk.kty !== 'oct' ? jwk : null;
}

async function convertKeys() {
  const current = latest('keys');
  const container = $('key-outputs');
  container.replaceChildren();
  showError('key-input-error', null);
  privateJwk = null;
  pastedCertificate = null;
  // A certificate or CSR made for the previous key must not linger.
  $('cert-outputs').replaceChildren();
  $('csr-outputs').replaceChildren();
  $('cert-inspection').hidden = true;
  $('passphrase-field').hidden = true;
  const text = $('key-input').value;
  if (!text.trim()) return;
  try {
    const input = parseKeyText(text);
    if (typeof input === 'string') {
      if (input.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) {
        $('passphrase-field').hidden = false;
        return;
      }
      if (input.includes('-----BEGIN CERTIFICATE-----')) await showInspection(input, current);
      const jwk = await engine.pemToJwk(input, {});
      const cards = await keyForms(jwk, '');
      if (!current()) return;
      rememberKey(jwk);
      showCards(container, cards);
    } else if (Array.isArray(input.keys)) {
      if (input.keys.length === 0) throw new Error('the JWKS has no keys');
      const cards = [];
      for (const [index, jwk] of input.keys.entries()) cards.push(...await keyForms(jwk, `keys[${index}] `));
      if (!current()) return;
      showCards(container, cards);
    } else {
      const cards = await keyForms(input, '');
      if (!current()) return;
      rememberKey(input);
      showCards(container, cards);
    }
  } catch (error) {
    if (!current()) return;
    container.replaceChildren();
    showError('key-input-error', error);
  }
}

async function decryptKey() {
  const current = latest('keys');
  showError('key-input-error', null);
  const container = $('key-outputs');
  container.replaceChildren();
  try {
    const jwk = await engine.pemToJwk($('key-input').value.trim(), { passphrase: $('key-passphrase').value });
    const cards = await keyForms(jwk, '');
    if (!current()) return;
    rememberKey(jwk);
    showCards(container, cards);
    $('key-passphrase').value = '';
  } catch (error) {
    if (current()) showError('key-input-error', error);
  }
}

// ------------------------------------------------------- certificates --
const localTime = (date) => `${date.toLocaleString()} (${date.toISOString()})`;
const VALIDITY_TEXT = { valid: 'valid now', expired: 'EXPIRED', not_yet_valid: 'NOT YET VALID' };

async function showInspection(pem, current) {
  const info = await engine.inspectCertificate(pem);
  if (!current()) return;
  pastedCertificate = pem;
  const details = $('cert-details');
  details.replaceChildren();
  const row = (term, value, className) => {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value;
    if (className) dd.className = className;
    details.append(dt, dd);
    return dd;
  };
  row('Subject', info.subject);
  row('Issuer', info.issuer);
  row('Serial', info.serialNumber);
  row('Not before', localTime(info.notBefore));
  row('Not after', localTime(info.notAfter));
  row('Validity', VALIDITY_TEXT[info.status], `validity-${info.status}`).id = 'cert-validity';
  row('Self-signed', info.selfSigned ? 'yes (its own signature verifies)' : info.selfIssued ? 'self-issued, but its signature does not verify' : 'no');
  row('Signature', info.signatureAlgorithm);
  row('Key', [info.keyType, info.keyCurve, info.keyBits && `${info.keyBits} bits`].filter(Boolean).join(' '));
  row('SHA-256 fingerprint', info.fingerprintSha256);
  row('SHA-1 fingerprint', info.fingerprintSha1);
  row('x5t#S256', info['x5t#S256']);
  row('x5t', info.x5t);
  if (info.keyUsage.length) row('Key usage', info.keyUsage.join(', '));
  if (info.subjectAltNames.length) row('Alternative names', info.subjectAltNames.join(', '));
  if (info.chain.length > 1) {
    info.chain.forEach((link, index) => row(`Chain [${index}]`,
      `${link.subject}${link.signedByNext === null ? '' : link.signedByNext ? ' (signed by the next)' : ' (NOT signed by the next)'}`));
  }
  $('cert-inspection').hidden = false;
  checkMatch();
}

async function checkMatch() {
  const current = latest('match');
  const result = $('match-result');
  const key = $('match-key').value.trim();
  if (!pastedCertificate || !key) {
    result.textContent = '';
    return;
  }
  let text;
  try {
    const input = key.startsWith('{') ? JSON.parse(key) : key;
    text = (await engine.keyMatchesCertificate(input, pastedCertificate))
      ? '✓ this key belongs to the certificate'
      : '✗ this key does not belong to the certificate';
  } catch (error) {
    text = describe(error);
  }
  if (current()) result.textContent = text;
}

function certificateOptions() {
  const sans = $('cert-sans').value.split(/[\s,]+/).filter(Boolean);
  return { subject: $('cert-subject').value.trim(), subjectAltNames: sans };
}

function needPrivateKey(errorId) {
  if (privateJwk) return true;
  showError(errorId, 'paste or generate a private key above first (an RSA, EC or Ed25519 key; not a secret)');
  return false;
}

async function makeCertificate() {
  const current = latest('certificate');
  const container = $('cert-outputs');
  container.replaceChildren();
  showError('cert-error', null);
  if (!needPrivateKey('cert-error')) return;
  try {
    const pem = await engine.createCertificate(privateJwk, { ...certificateOptions(), days: Number($('cert-days').value) });
    const jwk = await engine.pemToJwk(pem, {});
    const info = await engine.inspectCertificate(pem);
    if (!current()) return;
    const der = Uint8Array.from(atob(jwk.x5c[0]), (c) => c.charCodeAt(0));
    card(container, 'Certificate (PEM)', pem, 'certificate.pem', [
      ['.crt', pem, 'certificate.crt', 'application/x-x509-ca-cert'],
      ['.cer (DER)', der, 'certificate.cer', 'application/pkix-cert'],
    ]);
    card(container, 'Public JWK with x5c', JSON.stringify({ ...jwk, kid: engine.jwkThumbprint(jwk) }, null, 2), 'public.jwk.json');
    card(container, 'Fingerprints', `SHA-256 ${info.fingerprintSha256}\nSHA-1   ${info.fingerprintSha1}\nx5t#S256 ${info['x5t#S256']}\nvalid ${localTime(info.notBefore)} → ${localTime(info.notAfter)}`, 'fingerprints.txt');
  } catch (error) {
    if (current()) showError('cert-error', error);
  }
}

async function makeCsr() {
  const current = latest('csr');
  const container = $('csr-outputs');
  container.replaceChildren();
  showError('csr-error', null);
  if (!needPrivateKey('csr-error')) return;
  try {
    const csr = await engine.createCsr(privateJwk, certificateOptions());
    if (current()) card(container, 'CSR (PEM)', csr, 'request.csr');
  } catch (error) {
    if (current()) showError('csr-error', error);
  }
}

async function generate() {
  const [alg, bits] = $('gen-alg').value.split(':');
  $('gen-button').disabled = true;
  try {
    const options = bits ? { modulusLength: Number(bits) } : {};
    const privateJwk = alg.startsWith('HS')
      ? await engine.generateSecret(alg, { kid: 'thumbprint' })
      : (await engine.generateKeyPair(alg, { ...options, kid: 'thumbprint' })).privateJwk;
    $('key-input').value = JSON.stringify(privateJwk, null, 2);
    await convertKeys();
  } catch (error) {
    showError('key-input-error', error);
  } finally {
    $('gen-button').disabled = false;
  }
}

// ----------------------------------------------------------------- sign --
function presetClaims(preset) {
  const t = now();
  const jti = crypto.randomUUID();
  switch (preset) {
    case 'jwt': return { sub: 'user-123', iat: t, exp: t + 300 };
    case 'jwt-bearer': return { iss: 'https://issuer.example', sub: 'user@example.com', aud: 'https://as.example/oauth2/token', iat: t, exp: t + 300, jti };
    case 'client-assertion': return { iss: 'my-client-id', sub: 'my-client-id', aud: 'https://as.example/oauth2/token', iat: t, exp: t + 300, jti };
    case 'mulesoft': return { iss: 'connected-app-client-id', idp_id: 'identity-provider-id', user_name: 'jdoe', aud: MULESOFT_TOKEN_ENDPOINT, iat: t, exp: t + 300, jti };
    case 'wso2': return { iss: 'https://third-party-token-issuers.io/oauth2/token', sub: 'alice', aud: 'https://localhost:9443/oauth2/token', iat: t, exp: t + 300, jti };
    case 'asgardeo': return { iss: 'https://third-party-token-issuers.io/oauth2/token', sub: 'alice', aud: 'https://api.asgardeo.io/t/your-org/oauth2/token', iat: t, exp: t + 300, jti };
    default: return { iss: '0oa-client-id', sub: '0oa-client-id', aud: 'https://your-org.okta.com/oauth2/v1/token', iat: t, exp: t + 300, jti };
  }
}

function readClaims() {
  try {
    const claims = JSON.parse($('claims').value);
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) {
      throw new Error('the claims must be a JSON object');
    }
    showError('claims-error', null);
    return claims;
  } catch (error) {
    showError('claims-error', error instanceof SyntaxError ? `not valid JSON: ${error.message}` : error);
    return null;
  }
}

function lint() {
  const list = $('lint');
  list.replaceChildren();
  const claims = readClaims();
  if (!claims) return;
  const preset = $('preset').value;
  try {
    const findings = engine.lintClaims(claims, preset === 'jwt' ? {} : { profile: preset });
    for (const finding of findings) {
      const item = document.createElement('li');
      item.className = `${finding.severity}-finding`;
      item.textContent = `${finding.severity}: ${finding.claim}: ${finding.message}`;
      list.append(item);
    }
    if (findings.length === 0) {
      const item = document.createElement('li');
      item.className = 'info-finding';
      item.textContent = 'No findings.';
      list.append(item);
    }
  } catch (error) {
    showError('claims-error', error);
  }
}

function applyHelper(helper) {
  const claims = readClaims() ?? {};
  const t = now();
  if (helper === 'iat') claims.iat = t;
  if (helper === 'exp5m') claims.exp = t + 300;
  if (helper === 'exp1h') claims.exp = t + 3600;
  if (helper === 'jti') claims.jti = crypto.randomUUID();
  $('claims').value = JSON.stringify(claims, null, 2);
  lint();
}

let lastSigned = null;
async function signToken() {
  const outputs = $('sign-outputs');
  outputs.replaceChildren();
  for (const id of ['sign-error', 'sign-key-error']) showError(id, null);
  $('sign-to-verify').disabled = true;
  const claims = readClaims();
  if (!claims) return;
  let key;
  try {
    if (!$('sign-key').value.trim()) throw new Error('paste or generate a private key first');
    key = parseKeyText($('sign-key').value);
  } catch (error) {
    showError('sign-key-error', error);
    return;
  }
  const alg = $('sign-alg').value || undefined;
  const preset = $('preset').value;
  try {
    if (preset === 'jwt') {
      const token = await engine.signJwt(claims, key, { alg, typ: 'JWT' });
      card(outputs, 'Token', token, 'token.jwt');
      lastSigned = { token, key };
    } else {
      const { iss, sub, aud, iat, exp, jti, nbf, ...rest } = claims;
      const request = { profile: preset, issuer: iss, subject: sub, audience: aud, jti, claims: rest };
      if (typeof exp === 'number' && typeof iat === 'number') request.lifetime = exp - iat;
      const endpoint = $('token-endpoint').value.trim();
      if (endpoint) request.tokenEndpoint = endpoint;
      const result = await engine.buildAssertion(request, key, { alg });
      card(outputs, 'Assertion', result.assertion, 'assertion.jwt');
      card(outputs, 'Form body (application/x-www-form-urlencoded)', result.form, 'form.txt');
      card(outputs, 'curl', result.curl, 'token-request.sh');
      lastSigned = { token: result.assertion, key };
    }
    $('sign-to-verify').disabled = false;
  } catch (error) {
    const keyProblem = error && /JWK|PEM|DER|KEY|WEAK/.test(error.code ?? '');
    showError(keyProblem ? 'sign-key-error' : 'sign-error', error);
  }
}

async function sendToVerify() {
  if (!lastSigned) return;
  $('token').value = lastSigned.token;
  // Verify with the public half; a secret verifies itself.
  const key = lastSigned.key;
  let verifyKey = key;
  try {
    const jwk = typeof key === 'string' ? await engine.pemToJwk(key, {}) : key;
    verifyKey = jwk.kty === 'oct' ? jwk : await publicJwkOf(jwk);
  } catch {
    // Leave the key as given; the verify panel reports any problem inline.
  }
  $('verify-key').value = typeof verifyKey === 'string' ? verifyKey : JSON.stringify(verifyKey, null, 2);
  showTab('verify');
  decodeToken();
}

// --------------------------------------------------------------- verify --
const REGISTERED = {
  iss: 'issuer: who created and signed the token',
  sub: 'subject: whom the token is about',
  aud: 'audience: who the token is meant for',
  exp: 'expiration time: not accepted on or after this time',
  nbf: 'not before: not accepted before this time',
  iat: 'issued at: when the token was made',
  jti: 'JWT ID: unique per token, for replay detection',
  scope: 'scopes granted (space-delimited)',
  scp: 'scopes granted (list)',
  client_id: 'the OAuth client the token was issued to',
  typ: 'token type',
};

function relative(seconds) {
  const delta = seconds - now();
  const abs = Math.abs(delta);
  const [value, unit] = abs < 90 ? [abs, 's'] : abs < 3570 ? [Math.round(abs / 60), 'min'] : abs < 172800 ? [Math.round(abs / 3600), 'h'] : [Math.round(abs / 86400), 'days'];
  return delta >= 0 ? `in ${value} ${unit}` : `${value} ${unit} ago`;
}

function timeText(claim, value) {
  if (typeof value !== 'number') return `${JSON.stringify(value)} (not a number: invalid)`;
  const date = new Date(value * 1000);
  if (Number.isNaN(date.getTime())) return `${value} (out of range)`;
  const verb = claim === 'exp' ? (value <= now() ? 'expired' : 'expires') : claim === 'nbf' ? 'valid from' : 'issued';
  return `${value} = ${date.toLocaleString()} local, ${date.toISOString().replace('.000Z', 'Z')} UTC (${verb} ${relative(value)})`;
}

function decodeToken() {
  showError('token-error', null);
  const colored = $('token-colored');
  colored.replaceChildren();
  $('decoded-header').textContent = '';
  $('decoded-payload').textContent = '';
  const table = $('claims-table');
  table.hidden = true;
  table.tBodies[0].replaceChildren();
  const token = $('token').value.trim();
  if (!token) return;
  const parts = token.split('.');
  parts.forEach((part, index) => {
    if (index > 0) colored.append('.');
    const span = document.createElement('span');
    span.className = ['h', 'p', 's'][index] ?? 's';
    span.textContent = part;
    colored.append(span);
  });
  try {
    const { header, payload } = engine.decodeJwt(token);
    $('decoded-header').textContent = JSON.stringify(header, null, 2);
    $('decoded-payload').textContent = JSON.stringify(payload, null, 2);
    for (const [claim, value] of Object.entries(payload)) {
      if (!(claim in REGISTERED)) continue;
      const row = table.tBodies[0].insertRow();
      row.dataset.claim = claim;
      row.insertCell().textContent = claim;
      row.insertCell().textContent = ['exp', 'nbf', 'iat'].includes(claim) ? timeText(claim, value) : JSON.stringify(value);
      row.insertCell().textContent = REGISTERED[claim];
    }
    table.hidden = table.tBodies[0].rows.length === 0;
  } catch (error) {
    showError('token-error', error);
  }
}

function verifyOptions() {
  const options = { currentDate: new Date() };
  const algorithms = $('opt-algorithms').value.split(/[\s,]+/).filter(Boolean);
  if (algorithms.length) options.algorithms = algorithms;
  const issuer = $('opt-issuer').value.trim();
  if (issuer) options.issuer = issuer;
  const audience = $('opt-audience').value.trim();
  if (audience) options.audience = audience;
  const maxAge = $('opt-max-age').value.trim();
  if (maxAge) options.maxTokenAge = /^\d+$/.test(maxAge) ? Number(maxAge) : maxAge;
  const tolerance = $('opt-tolerance').value.trim();
  if (tolerance) options.clockTolerance = /^\d+$/.test(tolerance) ? Number(tolerance) : tolerance;
  return options;
}

async function verifyToken() {
  const list = $('checks');
  list.replaceChildren();
  for (const id of ['verify-error', 'verify-key-error', 'token-error']) showError(id, null);
  const token = $('token').value.trim();
  if (!token) {
    showError('token-error', 'paste a token first');
    return;
  }
  let key;
  try {
    if (!$('verify-key').value.trim()) throw new Error('paste the key to verify with');
    key = parseKeyText($('verify-key').value);
  } catch (error) {
    showError('verify-key-error', error);
    return;
  }
  try {
    const checks = await engine.verifyReport(token, key, verifyOptions());
    showChecks(list, checks, ['Token is valid under these options.', 'Token is NOT valid under these options.']);
  } catch (error) {
    const keyProblem = error && /JWK|PEM|DER|KEY/.test(error.code ?? '');
    showError(keyProblem ? 'verify-key-error' : 'verify-error', error);
  }
}

// A report's checks as the list the verify panel and the DPoP card show,
// headed by the verdict: valid when nothing failed and the signature held.
function showChecks(list, checks, [validText, invalidText]) {
  list.replaceChildren();
  for (const check of checks) {
    const item = document.createElement('li');
    item.className = check.status;
    item.dataset.check = check.check;
    const verdict = document.createElement('span');
    verdict.className = 'verdict';
    verdict.textContent = { passed: '✓ pass', failed: '✗ fail', skipped: '– skip' }[check.status] ?? check.status;
    item.append(verdict, ` ${check.check}`);
    if (check.code) {
      const code = document.createElement('code');
      code.textContent = ` ${check.code}`;
      item.append(code, `: ${check.message}`);
    }
    list.append(item);
  }
  const valid = checks.every((c) => c.status !== 'failed') && checks.some((c) => c.check === 'signature' && c.status === 'passed');
  const summary = document.createElement('li');
  summary.className = valid ? 'passed' : 'failed';
  summary.dataset.check = 'result';
  summary.textContent = valid ? validText : invalidText;
  list.prepend(summary);
}

function shareLink() {
  const params = new URLSearchParams();
  params.set('token', $('token').value.trim());
  for (const [name, id] of [['algorithms', 'opt-algorithms'], ['issuer', 'opt-issuer'], ['audience', 'opt-audience'], ['maxTokenAge', 'opt-max-age'], ['clockTolerance', 'opt-tolerance']]) {
    const value = $(id).value.trim();
    if (value) params.set(name, value);
  }
  const url = `${location.origin}${location.pathname}#${params}`;
  navigator.clipboard.writeText(url).catch(() => {});
  $('share-button').textContent = 'Link copied';
  history.replaceState(null, '', `#${params}`);
  setTimeout(() => { $('share-button').textContent = 'Copy share link'; }, 1500);
}

function loadFragment() {
  if (!location.hash.startsWith('#')) return;
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.has('token')) return;
  $('token').value = params.get('token');
  for (const [name, id] of [['algorithms', 'opt-algorithms'], ['issuer', 'opt-issuer'], ['audience', 'opt-audience'], ['maxTokenAge', 'opt-max-age'], ['clockTolerance', 'opt-tolerance']]) {
    if (params.has(name)) $(id).value = params.get(name);
  }
  showTab('verify');
  decodeToken();
}

// ----------------------------------------------------------------- dpop --
// The client's private key as a JWK: pasted JWK or PEM (converted by the core).
async function dpopKey() {
  const text = $('dpop-key').value;
  if (!text.trim()) throw new Error('paste a private key, or generate one in Keys and use it here');
  const input = parseKeyText(text);
  const jwk = typeof input === 'string' ? await engine.pemToJwk(input, {}) : input;
  if (Array.isArray(jwk.keys)) throw new Error('a JWKS: paste the one private key that signs the proofs');
  return jwk;
}

function useKeysPanelKey() {
  showError('dpop-key-error', null);
  if (!privateJwk) {
    showError('dpop-key-error', 'the Keys panel holds no private key: generate or paste one there (RSA, EC or Ed25519)');
    return;
  }
  $('dpop-key').value = JSON.stringify(privateJwk, null, 2);
}

let lastProof = null;
async function makeProof() {
  const outputs = $('dpop-outputs');
  outputs.replaceChildren();
  for (const id of ['dpop-key-error', 'dpop-make-error']) showError(id, null);
  $('dpop-to-check').disabled = true;
  lastProof = null;
  let jwk;
  try {
    jwk = await dpopKey();
  } catch (error) {
    showError('dpop-key-error', error);
    return;
  }
  const htm = $('dpop-htm').value;
  const htu = $('dpop-htu').value.trim();
  const accessToken = $('dpop-token').value.trim() || undefined;
  const nonce = $('dpop-nonce').value.trim() || undefined;
  const alg = $('dpop-alg').value || undefined;
  try {
    const proof = await engine.createDpopProof(jwk, { htm, htu, accessToken, nonce, alg });
    const jkt = engine.jwkThumbprint(jwk);
    const { header, payload } = engine.decodeJwt(proof);
    card(outputs, 'DPoP proof', proof, 'dpop-proof.jwt');
    card(outputs, 'Key thumbprint (jkt, for the token\'s cnf.jkt)', jkt, 'jkt.txt');
    card(outputs, 'Proof header and claims', JSON.stringify({ header, payload }, null, 2), 'dpop-proof.json');
    const headers = [accessToken ? `Authorization: DPoP ${accessToken}` : null, `DPoP: ${proof}`].filter(Boolean).join('\n');
    card(outputs, 'Request headers', headers, 'dpop-headers.txt');
    lastProof = { proof, htm, htu, accessToken, jkt: accessToken ? jkt : '' };
    $('dpop-to-check').disabled = false;
  } catch (error) {
    // A public key or a secret is refused by the core: say so at the key.
    const keyProblem = error && (/JWK|PEM|DER|KEY/.test(error.code ?? '') || !('d' in jwk));
    showError(keyProblem ? 'dpop-key-error' : 'dpop-make-error', error);
  }
}

// Hands the proof just made, with its request, to the check card and checks it.
async function sendProofToCheck() {
  if (!lastProof) return;
  $('dpop-proof').value = lastProof.proof;
  $('dpop-check-htm').value = lastProof.htm;
  $('dpop-check-htu').value = lastProof.htu;
  $('dpop-check-token').value = lastProof.accessToken ?? '';
  $('dpop-check-jkt').value = lastProof.jkt;
  $('dpop-check-card').scrollIntoView();
  await checkProof();
}

function dpopCheckOptions() {
  const options = { htm: $('dpop-check-htm').value, htu: $('dpop-check-htu').value.trim(), currentDate: new Date() };
  const accessToken = $('dpop-check-token').value.trim();
  if (accessToken) options.accessToken = accessToken;
  const jkt = $('dpop-check-jkt').value.trim();
  if (jkt) options.jkt = jkt;
  const nonce = $('dpop-check-nonce').value.trim();
  if (nonce) options.nonce = nonce;
  const maxAge = $('dpop-check-max-age').value.trim();
  if (maxAge) options.maxAge = /^\d+$/.test(maxAge) ? Number(maxAge) : maxAge;
  const tolerance = $('dpop-check-tolerance').value.trim();
  if (tolerance) options.clockTolerance = /^\d+$/.test(tolerance) ? Number(tolerance) : tolerance;
  return options;
}

// The thumbprint of the key a proof carries, to compare with a token's cnf.jkt.
function showProofJkt(proof) {
  const line = $('dpop-proof-jkt');
  line.hidden = true;
  try {
    const { jwk } = engine.decodeJwt(proof).header;
    if (jwk === null || typeof jwk !== 'object') return;
    line.textContent = `The proof's key thumbprint (jkt): ${engine.jwkThumbprint(jwk)}`;
    line.hidden = false;
  } catch {
    // The checks below say what is wrong with the proof.
  }
}

async function checkProof() {
  const list = $('dpop-checks');
  list.replaceChildren();
  for (const id of ['dpop-proof-error', 'dpop-check-error']) showError(id, null);
  const proof = $('dpop-proof').value.trim();
  if (!proof) {
    showError('dpop-proof-error', 'paste a DPoP proof first (or make one above)');
    return;
  }
  const options = dpopCheckOptions();
  if (!options.htu) {
    showError('dpop-check-error', 'enter the request URL the proof is checked against');
    return;
  }
  showProofJkt(proof);
  try {
    const checks = await engine.dpopReport(proof, options);
    showChecks(list, checks, ['Proof is valid for this request.', 'Proof is NOT valid for this request.']);
  } catch (error) {
    showError('dpop-check-error', error);
  }
}

// ---------------------------------------------------------------- start --
function debounce(fn, ms) {
  let timer;
  return () => { clearTimeout(timer); timer = setTimeout(fn, ms); };
}

async function start() {
  try {
    await engine.ready();
  } catch (error) {
    $('status').textContent = `The WebAssembly module failed to load: ${describe(error)}`;
    return;
  }
  $('key-input').addEventListener('input', debounce(convertKeys, 250));
  $('passphrase-button').addEventListener('click', decryptKey);
  $('key-passphrase').addEventListener('keydown', (event) => { if (event.key === 'Enter') decryptKey(); });
  $('match-key').addEventListener('input', debounce(checkMatch, 250));
  $('cert-button').addEventListener('click', makeCertificate);
  $('csr-button').addEventListener('click', makeCsr);
  $('preset-cert-link').addEventListener('click', (event) => {
    event.preventDefault();
    showTab('keys');
    $('cert-card').scrollIntoView();
    $('cert-subject').focus();
  });
  $('gen-button').addEventListener('click', generate);
  const presetHint = () => { $('preset-cert-hint').hidden = !['wso2', 'asgardeo'].includes($('preset').value); };
  $('preset').addEventListener('change', () => {
    $('claims').value = JSON.stringify(presetClaims($('preset').value), null, 2);
    presetHint();
    lint();
  });
  presetHint();
  $('claims').addEventListener('input', debounce(lint, 200));
  for (const button of document.querySelectorAll('[data-helper]')) {
    button.addEventListener('click', () => applyHelper(button.dataset.helper));
  }
  $('sign-button').addEventListener('click', signToken);
  $('sign-to-verify').addEventListener('click', sendToVerify);
  $('token').addEventListener('input', debounce(decodeToken, 150));
  $('verify-button').addEventListener('click', verifyToken);
  $('share-button').addEventListener('click', shareLink);
  $('dpop-use-key').addEventListener('click', useKeysPanelKey);
  $('dpop-make').addEventListener('click', makeProof);
  $('dpop-to-check').addEventListener('click', sendProofToCheck);
  $('dpop-check').addEventListener('click', checkProof);
  $('claims').value = JSON.stringify(presetClaims($('preset').value), null, 2);
  lint();
  loadFragment();
  $('status').textContent = 'Ready. Nothing leaves this tab.';
  document.body.dataset.ready = 'true';
}

start();
