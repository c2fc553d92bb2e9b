// A real OAuth 2.0 authorization server for the Envoy filter's introspection
// (issue 12) and DPoP (issue 13) tests: panva's oidc-provider, pinned in
// package-lock.json, on 127.0.0.1 only, with everything in memory.
//
//   node server.mjs [--port N] [--admin-port N] [--client-jwks FILE]
//                   [--exit-on-stdin-close]
//
// Port 0 (the default) takes a free port. When ready it prints ONE line of
// JSON on stdout (issuer, endpoints, clients with their fresh random secrets,
// resources, admin URL); then it serves until SIGTERM/SIGINT, or until stdin
// closes when --exit-on-stdin-close is given (so a test that dies cannot
// leave it behind). Nothing else is written to stdout.
//
// What it issues (client credentials grant only):
// - without `resource`: an opaque access token, no audience;
// - with `resource` = one of RESOURCES: that resource's format (opaque or an
//   `at+jwt` JWT signed with the server's RS256 or ES256 key) and audience;
// - with a `DPoP` proof on the token request: the token is bound (cnf.jkt in
//   the JWT and in the introspection response, token_type "DPoP").
// Introspection (RFC 7662) answers JSON, or an RFC 9701 JWT
// (`Accept: application/token-introspection+jwt`, typ token-introspection+jwt,
// aud = the calling client, signed with the server's ES256 key). Revocation
// (RFC 7009) is open to the token's own client and to the inspector.
// oidc-provider keeps no record of its JWT access tokens: it refuses to
// introspect or revoke them (400 unsupported_token_type), by design.
//
// Environment (all optional):
//   AUTHZ_PORT, AUTHZ_ADMIN_PORT         as the flags
//   AUTHZ_CLIENT_JWKS                    as --client-jwks
//   AUTHZ_ACCESS_TOKEN_TTL=seconds       every access token's lifetime (300)
//   AUTHZ_DPOP_NONCE=1                   DPoP proofs at the token endpoint need a server nonce
//
// The admin listener (its own port, loopback) is for tests, never the
// gateway: GET /counters, POST /counters/reset, GET|POST /settings with a
// JSON object of SETTINGS keys.

import * as crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import { parseArgs } from 'node:util';

import Provider, { errors } from 'oidc-provider';

const HOST = '127.0.0.1';
const SCOPES = ['read', 'write', 'admin'];

// Resource indicators (RFC 8707) the server knows; audience = the URI.
const RESOURCES = {
  'https://api.jwt-edge.test/jwt': { accessTokenFormat: 'jwt', alg: 'RS256' },
  'https://api.jwt-edge.test/jwt-es256': { accessTokenFormat: 'jwt', alg: 'ES256' },
  'https://api.jwt-edge.test/opaque': { accessTokenFormat: 'opaque' },
};

main().catch((error) => {
  process.stderr.write(`authz server: ${error.stack || error}\n`);
  process.exit(1);
});

async function main() {
  const options = readOptions();
  // Changeable at run time through the admin listener.
  const settings = {
    access_token_ttl: options.accessTokenTtl,
    dpop_nonce_required: options.dpopNonce,
    // Answer every request on the authorization server's port with this
    // HTTP status (0 = serve normally): an outage that keeps the tokens.
    fail_status: 0,
    // Hold each introspection request this long before answering, so
    // that concurrent gateway requests overlap (single flight tests).
    introspection_delay_ms: 0,
  };
  const counters = newCounters();

  const server = http.createServer();
  await listen(server, options.port);
  const issuer = `http://${HOST}:${server.address().port}`;

  const clients = makeClients(options.clientJwks);
  const provider = new Provider(issuer, configuration(clients, settings));
  const routeOf = new Map(['token', 'introspection', 'revocation', 'jwks']
    .map((name) => [provider.pathFor(name), name]));
  provider.use(introspectionExtras(provider, counters, settings));
  const handle = provider.callback();
  server.on('request', (req, res) => {
    // Counted as they arrive, whatever their outcome (fail_status included),
    // so that a test can assert how many calls a gateway made.
    const route = routeOf.get(req.url.split('?')[0]);
    if (route) counters[route] += 1;
    if (settings.fail_status) {
      res.writeHead(settings.fail_status, { 'content-type': 'text/plain' });
      res.end('unavailable (admin setting fail_status)\n');
      return;
    }
    handle(req, res);
  });

  const admin = http.createServer(adminHandler(counters, settings));
  await listen(admin, options.adminPort);

  const endpoint = (name) => `${issuer}${provider.pathFor(name)}`;
  process.stdout.write(`${JSON.stringify({
    issuer,
    token_endpoint: endpoint('token'),
    introspection_endpoint: endpoint('introspection'),
    revocation_endpoint: endpoint('revocation'),
    jwks_uri: endpoint('jwks'),
    discovery: `${issuer}/.well-known/openid-configuration`,
    admin: `http://${HOST}:${admin.address().port}`,
    scopes: SCOPES,
    resources: Object.fromEntries(Object.entries(RESOURCES)
      .map(([uri, { accessTokenFormat, alg }]) => [uri, { format: accessTokenFormat, alg }])),
    clients: Object.fromEntries(clients.map((client) => [client.role, {
      client_id: client.client_id,
      client_secret: client.client_secret,
      auth_method: client.token_endpoint_auth_method,
    }])),
    settings,
  })}\n`);

  const stop = () => {
    server.closeAllConnections();
    admin.closeAllConnections();
    server.close();
    admin.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (options.exitOnStdinClose) {
    process.stdin.on('end', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();
  }
}

function readOptions() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'admin-port': { type: 'string' },
      'client-jwks': { type: 'string' },
      'exit-on-stdin-close': { type: 'boolean', default: false },
    },
  });
  const env = process.env;
  return {
    port: portNumber(values.port ?? env.AUTHZ_PORT ?? '0'),
    adminPort: portNumber(values['admin-port'] ?? env.AUTHZ_ADMIN_PORT ?? '0'),
    clientJwks: values['client-jwks'] ?? env.AUTHZ_CLIENT_JWKS,
    accessTokenTtl: positiveSeconds(env.AUTHZ_ACCESS_TOKEN_TTL ?? '300', 'AUTHZ_ACCESS_TOKEN_TTL'),
    dpopNonce: env.AUTHZ_DPOP_NONCE === '1',
    exitOnStdinClose: values['exit-on-stdin-close'],
  };
}

function portNumber(text) {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`not a port number: ${text}`);
  }
  return port;
}

function positiveSeconds(text, name) {
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw new Error(`${name} must be a whole number of seconds >= 1, got ${text}`);
  }
  return seconds;
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

// ------------------------------------------------------------- clients ----

// Four confidential clients, one per way a gateway or a test authenticates.
// Secrets are random per run and handed over in the ready line only.
function makeClients(clientJwksFile) {
  const secret = () => crypto.randomBytes(24).toString('base64url');
  const common = {
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: SCOPES.join(' '),
    // JSON introspection answers unless the caller asks for RFC 9701.
    introspection_signed_response_alg: 'ES256',
  };
  const clients = [
    {
      role: 'basic', client_id: 'client-basic', client_secret: secret(),
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      role: 'post', client_id: 'client-post', client_secret: secret(),
      token_endpoint_auth_method: 'client_secret_post',
    },
    // App B of the Okta two-app flow: the gateway introspects with it.
    {
      role: 'inspector', client_id: 'inspector', client_secret: secret(),
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ];
  if (clientJwksFile) {
    clients.push({
      role: 'private_key_jwt', client_id: 'client-private-key-jwt',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: publicJwks(clientJwksFile),
    });
  }
  return clients.map((client) => ({ ...common, ...client }));
}

// A JWK or a JWKS; private members are refused so that only the public half
// of the harness's key is ever handed to the server.
function publicJwks(file) {
  const parsed = JSON.parse(readFileSync(file, 'utf8'));
  const keys = Array.isArray(parsed.keys) ? parsed.keys : [parsed];
  for (const key of keys) {
    if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((member) => member in key)) {
      throw new Error(`${file}: a public JWK is expected, this one has private members`);
    }
  }
  return { keys };
}

// ------------------------------------------------------- configuration ----

function configuration(clients, settings) {
  return {
    clients: clients.map(({ role, ...metadata }) => metadata),
    jwks: {
      keys: [
        signingKey('RS256', 'rsa', { modulusLength: 2048 }),
        signingKey('ES256', 'ec', { namedCurve: 'P-256' }),
      ],
    },
    scopes: SCOPES,
    // Nothing is ever fetched from anywhere: no jwks_uri clients, no
    // sector identifiers, no dynamic registration.
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // Every client here authenticates (none is public), so any of them
        // may introspect any token, as a gateway's inspector client must.
        allowedPolicy: async () => true,
      },
      jwtIntrospection: { enabled: true },
      revocation: {
        enabled: true,
        allowedPolicy: async (ctx, client, token) => {
          if (client.clientId === token.clientId || client.clientId === 'inspector') return true;
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
      dPoP: {
        enabled: true,
        nonceSecret: crypto.randomBytes(32),
        requireNonce: () => settings.dpop_nonce_required,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource) => {
          const known = RESOURCES[resource];
          if (!known) throw new errors.InvalidTarget(`unknown resource ${resource}`);
          return {
            scope: SCOPES.join(' '),
            audience: resource,
            accessTokenTTL: settings.access_token_ttl,
            accessTokenFormat: known.accessTokenFormat,
            ...(known.alg ? { jwt: { sign: { alg: known.alg } } } : {}),
          };
        },
      },
    },
    ttl: {
      AccessToken: () => settings.access_token_ttl,
      ClientCredentials: () => settings.access_token_ttl,
    },
    enabledJWA: {
      clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      dPoPSigningAlgValues: ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'],
    },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    renderError: (ctx, out) => {
      ctx.type = 'application/json';
      ctx.body = out;
    },
  };
}

function signingKey(alg, type, parameters) {
  const { privateKey } = crypto.generateKeyPairSync(type, parameters);
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, alg, use: 'sig', kid: `authz-${alg.toLowerCase()}` };
}

// ---------------------------------------------------------- counting ----

function newCounters() {
  return { token: 0, introspection: 0, revocation: 0, jwks: 0, introspection_by_client: {} };
}

// Introspection requests: held for introspection_delay_ms, then counted
// per authenticated client.
function introspectionExtras(provider, counters, settings) {
  const path = provider.pathFor('introspection');
  return async (ctx, next) => {
    if (ctx.path !== path) return next();
    if (settings.introspection_delay_ms) {
      await new Promise((resolve) => { setTimeout(resolve, settings.introspection_delay_ms); });
    }
    try {
      await next();
    } finally {
      const clientId = ctx.oidc?.client?.clientId ?? '(unauthenticated)';
      counters.introspection_by_client[clientId] = (counters.introspection_by_client[clientId] ?? 0) + 1;
    }
  };
}

// ------------------------------------------------------------- admin ----

function adminHandler(counters, settings) {
  return async (req, res) => {
    const reply = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    try {
      if (req.method === 'GET' && req.url === '/counters') return reply(200, counters);
      if (req.method === 'POST' && req.url === '/counters/reset') {
        Object.assign(counters, newCounters());
        return reply(200, counters);
      }
      if (req.url === '/settings' && req.method === 'GET') return reply(200, settings);
      if (req.url === '/settings' && req.method === 'POST') {
        const changes = JSON.parse(await readBody(req));
        const problem = checkSettings(changes, settings);
        if (problem) return reply(400, { error: problem });
        Object.assign(settings, changes);
        return reply(200, settings);
      }
      return reply(404, { error: `no admin route ${req.method} ${req.url}` });
    } catch (error) {
      return reply(400, { error: String(error.message || error) });
    }
  };
}

function checkSettings(changes, settings) {
  if (changes === null || typeof changes !== 'object' || Array.isArray(changes)) return 'a JSON object is expected';
  for (const [key, value] of Object.entries(changes)) {
    if (!(key in settings)) return `unknown setting ${key}`;
    if (typeof value !== typeof settings[key]) return `${key} must be a ${typeof settings[key]}`;
    if (key === 'access_token_ttl' && !(Number.isInteger(value) && value >= 1)) {
      return 'access_token_ttl must be a whole number >= 1';
    }
    if (key === 'fail_status' && value !== 0 && !(Number.isInteger(value) && value >= 400 && value <= 599)) {
      return 'fail_status must be 0 or an HTTP error status';
    }
    if (key === 'introspection_delay_ms' && !(Number.isInteger(value) && value >= 0 && value <= 60000)) {
      return 'introspection_delay_ms must be 0..60000';
    }
  }
  return undefined;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > 65536) reject(new Error('admin request too large'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
