// jwt-edge's JavaScript face: argument checks and translation, the key
// cache, and the host crypto adapters. Every token and key decision is made
// by the Rust core in wasm; this file only moves values across and picks
// who computes signatures (Node's crypto, WebCrypto, or wasm itself).
//
// Written as ESM; `npm/build.mjs` derives the CommonJS copy from it.

/** Every failure of jwt-edge: `.code` is stable, `.claim`/`.reason` are set for claim failures. */
export class JwtEdgeError extends Error {
  constructor(code, message, claim, reason) {
    super(message);
    this.name = 'JwtEdgeError';
    this.code = code;
    if (claim !== undefined) this.claim = claim;
    if (reason !== undefined) this.reason = reason;
  }
}

const ALGORITHMS = {
  RS256: { family: 'RSA', hash: 'SHA-256', node: 'sha256' },
  RS384: { family: 'RSA', hash: 'SHA-384', node: 'sha384' },
  RS512: { family: 'RSA', hash: 'SHA-512', node: 'sha512' },
  PS256: { family: 'PSS', hash: 'SHA-256', node: 'sha256', salt: 32 },
  PS384: { family: 'PSS', hash: 'SHA-384', node: 'sha384', salt: 48 },
  PS512: { family: 'PSS', hash: 'SHA-512', node: 'sha512', salt: 64 },
  ES256: { family: 'EC', hash: 'SHA-256', node: 'sha256', curve: 'P-256', size: 64 },
  ES384: { family: 'EC', hash: 'SHA-384', node: 'sha384', curve: 'P-384', size: 96 },
  EdDSA: { family: 'OKP', node: null },
};

const BACKENDS = ['auto', 'node', 'webcrypto', 'wasm'];
const RING_CACHE_SIZE = 64;

function invalid(message) {
  return new JwtEdgeError('ERR_INVALID_ARGUMENT', message);
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` without its member `skip` (a shallow copy). */
function without(value, skip) {
  if (!Object.hasOwn(value, skip)) return value;
  const { [skip]: _, ...rest } = value;
  return rest;
}

/**
 * Whether `value` serialises as `copy` (JSON.parse of its earlier text) did:
 * plain objects and arrays with the same own keys in the same order, and
 * equal strings, finite numbers, booleans and nulls. Anything else (a Date,
 * a toJSON, undefined members, NaN) answers false, and the caller serialises.
 */
function sameJson(value, copy, skip, depth) {
  if (value === copy) return typeof value !== 'number' || Number.isFinite(value);
  if (typeof value !== 'object' || value === null || typeof copy !== 'object' || copy === null || depth > 8) return false;
  if (Array.isArray(value)) {
    if (!Array.isArray(copy) || value.length !== copy.length) return false;
    for (let i = 0; i < value.length; i++) if (!sameJson(value[i], copy[i], undefined, depth + 1)) return false;
    return true;
  }
  if (Array.isArray(copy) || Object.getPrototypeOf(value) !== Object.prototype || typeof value.toJSON === 'function') return false;
  const keys = Object.keys(value);
  const copyKeys = Object.keys(copy);
  let i = 0;
  for (const key of keys) {
    if (key === skip) continue;
    if (copyKeys[i] !== key || !sameJson(value[key], copy[key], undefined, depth + 1)) return false;
    i++;
  }
  return i === copyKeys.length;
}

/** A message the host signs and verifies to check that a private key and its public half belong together. */
const PROBE = new TextEncoder().encode('jwt-edge: does this private key match its public key?');

/**
 * Whether an RSA private JWK's parts belong together, as the keys module's
 * check (the rsa crate's) has it: p * q = n, e * d = 1 mod (p - 1) and
 * mod (q - 1), and the CRT values derived from them. OpenSSL signs with
 * the CRT values alone, so a probe signature cannot see a wrong d.
 */
function rsaPartsAgree(jwk) {
  if (jwk.kty !== 'RSA' || jwk.d === undefined) return true;
  const int = (name) => {
    let hex = '0x0';
    for (const char of atob(jwk[name].replaceAll('-', '+').replaceAll('_', '/'))) hex += char.charCodeAt(0).toString(16).padStart(2, '0');
    return BigInt(hex);
  };
  const [n, e, d, p, q] = ['n', 'e', 'd', 'p', 'q'].map(int);
  if (p <= 1n || q <= 1n || p * q !== n) return false;
  if ((e * d) % (p - 1n) !== 1n || (e * d) % (q - 1n) !== 1n) return false;
  if (jwk.dp === undefined) return true;
  return int('dp') === d % (p - 1n) && int('dq') === d % (q - 1n) && (int('qi') * q) % p === 1n;
}

/** The synchronous host over Node's crypto module: keys imported once per ring id. */
function createNodeHost(nodeCrypto) {
  const publicKeys = new Map();
  const privateKeys = new Map();
  const { constants } = nodeCrypto;
  const params = (spec, key) => {
    if (spec.family === 'PSS') {
      return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
    }
    if (spec.family === 'EC') return { key, dsaEncoding: 'ieee-p1363' };
    return key;
  };
  const input = (format, data) => (format === 'jwk'
    ? { key: JSON.parse(data), format: 'jwk' }
    : { key: Buffer.from(data.buffer, data.byteOffset, data.length), format: 'der', type: format });
  return {
    verify(alg, id, data, signature) {
      const spec = ALGORITHMS[alg];
      if (spec === undefined) return -1; // HMAC: wasm is faster than a call out
      const key = publicKeys.get(id);
      if (key === undefined) return 2;
      if (spec.size !== undefined && signature.length !== spec.size) return 0;
      return nodeCrypto.verify(spec.node, data, params(spec, key), signature) ? 1 : 0;
    },
    sign(alg, id, data) {
      const spec = ALGORITHMS[alg];
      if (spec === undefined) return -1;
      const key = privateKeys.get(id);
      if (key === undefined) return 2;
      const signature = nodeCrypto.sign(spec.node, data, params(spec, key));
      return new Uint8Array(signature.buffer, signature.byteOffset, signature.length);
    },
    /**
     * Imports key `id` (format 'jwk' with JSON text, 'spki' or 'pkcs8' with
     * DER bytes). With `publicJwk` (the tokens module's private keys) the
     * public half is imported from it and a probe signature made with the
     * private key must verify with it. true: imported; false: OpenSSL
     * refused the key or the halves do not match (the core reports it).
     */
    importKey(id, format, data, isPrivate, alg, publicJwk) {
      let privateKey;
      let publicKey;
      try {
        if (!isPrivate) publicKey = nodeCrypto.createPublicKey(input(format, data));
        else {
          privateKey = nodeCrypto.createPrivateKey(input(format, data));
          if (publicJwk !== undefined) {
            if (!rsaPartsAgree(privateKey.export({ format: 'jwk' }))) return false;
            publicKey = nodeCrypto.createPublicKey(input('jwk', publicJwk));
            const spec = ALGORITHMS[alg];
            if (spec === undefined) return -1;
            const probe = nodeCrypto.sign(spec.node, PROBE, params(spec, privateKey));
            if (!nodeCrypto.verify(spec.node, PROBE, params(spec, publicKey), probe)) return false;
          }
        }
      } catch {
        return false;
      }
      if (privateKey !== undefined) privateKeys.set(id, privateKey);
      if (publicKey !== undefined) publicKeys.set(id, publicKey);
      return true;
    },
    forget(ids) {
      for (const id of ids) {
        publicKeys.delete(id);
        privateKeys.delete(id);
      }
    },
  };
}

/** The asynchronous host over WebCrypto: CryptoKeys imported once per ring id and algorithm. */
function createSubtleHost(subtle) {
  const cache = new Map();
  const importParams = (spec, alg) => {
    switch (spec.family) {
      case 'RSA': return { name: 'RSASSA-PKCS1-v1_5', hash: spec.hash };
      case 'PSS': return { name: 'RSA-PSS', hash: spec.hash };
      case 'EC': return { name: 'ECDSA', namedCurve: spec.curve };
      default: return { name: alg === 'EdDSA' ? 'Ed25519' : alg };
    }
  };
  const signParams = (spec) => {
    switch (spec.family) {
      case 'RSA': return { name: 'RSASSA-PKCS1-v1_5' };
      case 'PSS': return { name: 'RSA-PSS', saltLength: spec.salt };
      case 'EC': return { name: 'ECDSA', hash: spec.hash };
      default: return { name: 'Ed25519' };
    }
  };
  const REFUSED = Symbol('refused');
  // A DataError is the key's fault; anything else (say Ed25519 missing
  // from this browser) leaves the signature to wasm.
  const importOne = (format, data, params, usage, extractable = false) => subtle
    .importKey(format, format === 'jwk' ? JSON.parse(data) : data, params, extractable, [usage])
    .catch((error) => (error?.name === 'DataError' ? REFUSED : null));
  /**
   * `[format, data, publicJwk]` from the ring: a private key with its public
   * half (the tokens module) is imported whole and checked against that
   * half by a probe signature, even to verify.
   */
  async function load(ring, id, alg, usage) {
    const spec = ALGORITHMS[alg];
    const material = ring.hostImport(id, usage === 'sign');
    if (material === undefined) return null;
    const [format, data, publicJwk] = material;
    const params = importParams(spec, alg);
    if (publicJwk === undefined) return importOne(format, data, params, usage);
    // RSA: extractable once, to read the parts the probe cannot check.
    const rsa = spec.family === 'RSA' || spec.family === 'PSS';
    const [privateKey, publicKey] = await Promise.all([
      importOne(format, data, params, 'sign', rsa),
      importOne('jwk', publicJwk, params, 'verify'),
    ]);
    if (privateKey === REFUSED || publicKey === REFUSED) return REFUSED;
    if (privateKey === null || publicKey === null) return null;
    try {
      if (rsa && !rsaPartsAgree(await subtle.exportKey('jwk', privateKey))) return REFUSED;
      const probe = await subtle.sign(signParams(spec), privateKey, PROBE);
      if (!await subtle.verify(signParams(spec), publicKey, probe, PROBE)) return REFUSED;
    } catch {
      return null;
    }
    return usage === 'sign' ? privateKey : publicKey;
  }
  function key(ring, id, alg, usage) {
    const name = `${id}:${alg}:${usage}`;
    let promise = cache.get(name);
    if (promise === undefined) {
      promise = load(ring, id, alg, usage).catch(() => null);
      cache.set(name, promise);
    }
    return promise;
  }
  /** The core's error for a key the host refused, or null to let wasm decide. */
  function refused(ring, id) {
    const error = ring.refusedError(id);
    if (error === undefined) return null;
    return new JwtEdgeError(error.code, String(error.message));
  }
  return {
    // true / false: the host's verdict; undefined: let wasm decide.
    async verify(ring, pending) {
      const spec = ALGORITHMS[pending.alg];
      if (spec === undefined) return undefined;
      const cryptoKey = await key(ring, pending.keyId, pending.alg, 'verify');
      if (cryptoKey === REFUSED) {
        const error = refused(ring, pending.keyId);
        if (error !== null) throw error;
        return undefined;
      }
      if (cryptoKey === null) return undefined;
      try {
        return await subtle.verify(signParams(spec), cryptoKey, pending.signature, pending.signingInput);
      } catch {
        return undefined;
      }
    },
    async sign(ring, pending) {
      const spec = ALGORITHMS[pending.alg];
      if (spec === undefined) return undefined;
      const cryptoKey = await key(ring, pending.keyId, pending.alg, 'sign');
      if (cryptoKey === REFUSED) {
        const error = refused(ring, pending.keyId);
        if (error !== null) throw error;
        return undefined;
      }
      if (cryptoKey === null) return undefined;
      try {
        return new Uint8Array(await subtle.sign(signParams(spec), cryptoKey, pending.signingInput));
      } catch {
        return undefined;
      }
    },
    async generateRsa(modulusLength) {
      const pair = await subtle.generateKey(
        { name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
        true,
        ['sign', 'verify'],
      );
      return subtle.exportKey('jwk', pair.privateKey);
    },
    forget(ids) {
      for (const name of [...cache.keys()]) {
        if (ids.includes(Number(name.slice(0, name.indexOf(':'))))) cache.delete(name);
      }
    },
  };
}

/** Verifies DPoP proof signatures with Node's crypto (1 valid, 0 invalid, -1 use wasm). */
function createProofVerifier(nodeCrypto) {
  const keys = new Map();
  const { constants } = nodeCrypto;
  return {
    verify(alg, jwk, data, signature) {
      const spec = ALGORITHMS[alg];
      if (spec === undefined) return -1;
      let key = keys.get(jwk);
      if (key === undefined) {
        key = nodeCrypto.createPublicKey({ key: JSON.parse(jwk), format: 'jwk' });
        keys.set(jwk, key);
        if (keys.size > 64) keys.delete(keys.keys().next().value);
      }
      if (spec.size !== undefined && signature.length !== spec.size) return 0;
      const params = spec.family === 'PSS'
        ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
        : spec.family === 'EC' ? { key, dsaEncoding: 'ieee-p1363' } : key;
      return nodeCrypto.verify(spec.node, data, params, signature) ? 1 : 0;
    },
  };
}

/**
/** The code the token module answers with when an input needs the key module; it never reaches users. */
const KEYS_REQUIRED = 'ERR_KEYS_MODULE_REQUIRED';

/** Marks, in the token module's key cache, a key that only the key module can parse. */
const NEEDS_KEYS = Symbol('needs the key module');

/**
 * One wasm module's side: its bindings, its parsed keys (a KeyRing lives in
 * one module's memory) and host key caches of its own (each module numbers
 * its rings from 1, so two modules' ids would collide in a shared cache).
 */
function createEngine(wasm, platform) {
  return {
    wasm,
    nodeHost: platform.nodeCrypto ? createNodeHost(platform.nodeCrypto) : null,
    subtleHost: platform.subtle ? createSubtleHost(platform.subtle) : null,
    rings: new Map(),
  };
}

/**
 * Builds the public API over the two wasm modules: `tokens` (decode,
 * verify, sign, assertions, lint, thumbprints, DPoP), loaded at start, and
 * the key module (conversions, generation, certificates, the pure-wasm
 * signatures), loaded on the first call that needs it.
 * platform: {
 *   nodeCrypto?, subtle?,
 *   init(): Promise<void>, isReady(): boolean      (the token module)
 *   loadKeys(input?): Promise<bindings>            (the key module, instantiated)
 *   loadKeysSync?(): bindings                      (where it can load synchronously)
 * }
 */
export function createApi(wasm, platform) {
  const tokens = createEngine(wasm, platform);
  let keys = null;
  let keysLoading;
  let backend = 'auto';
  let limits = null;
  const jsonCache = new WeakMap();

  function activeBackend() {
    if (backend !== 'auto') return backend;
    if (tokens.nodeHost) return 'node';
    return tokens.subtleHost ? 'webcrypto' : 'wasm';
  }

  function toError(error) {
    if (error instanceof JwtEdgeError) return error;
    if (isObject(error) && !(error instanceof Error) && typeof error.code === 'string') {
      return new JwtEdgeError(error.code, String(error.message), error.claim, error.reason);
    }
    if (error instanceof RangeError) {
      return new JwtEdgeError('ERR_JSON_TOO_DEEP', `input nests too deeply: ${error.message}`);
    }
    const message = error instanceof Error ? error.message : String(error);
    return new JwtEdgeError('ERR_INVALID_ARGUMENT', message);
  }

  function ensureReady() {
    if (!platform.isReady()) {
      throw new JwtEdgeError(
        'ERR_WASM_NOT_INITIALIZED',
        'jwt-edge is not initialised: `await init()` (the default export) once before calling synchronous functions',
      );
    }
    if (limits === null) {
      const [input, token] = wasm.inputLimits();
      limits = { input, token };
    }
  }

  // ------------------------------------------------------ key module ----

  function adoptKeys(bindings) {
    if (keys === null) keys = createEngine(bindings, platform);
    return keys;
  }

  function keysFailed(error) {
    return new JwtEdgeError('ERR_WASM_NOT_INITIALIZED', `cannot load jwt-edge's key module: ${error && error.message ? error.message : String(error)}`);
  }

  /**
   * The key module, loaded once: concurrent first callers share one load,
   * and a failed load is forgotten so that a later call tries again.
   */
  function keyModule(input) {
    if (keys !== null) return Promise.resolve(keys);
    if (keysLoading === undefined) {
      keysLoading = Promise.resolve()
        .then(() => platform.loadKeys(input))
        .then(adoptKeys, (error) => {
          keysLoading = undefined;
          throw keysFailed(error);
        });
    }
    return keysLoading;
  }

  /** The key module now, where the platform can load it synchronously; null where it cannot. */
  function keyModuleSync() {
    if (keys !== null) return keys;
    if (typeof platform.loadKeysSync !== 'function') return null;
    let bindings;
    try {
      bindings = platform.loadKeysSync();
    } catch (error) {
      throw keysFailed(error);
    }
    return adoptKeys(bindings);
  }

  const needsKeys = (error) => error instanceof JwtEdgeError && error.code === KEYS_REQUIRED;

  /** `op(engine)` in the key module. */
  function inKeys(op) {
    return keyModule().then(op);
  }

  /**
   * `op(engine)` in the token module, and once more in the key module when
   * the token module cannot answer (ERR_KEYS_MODULE_REQUIRED: a PKCS#1 or
   * SEC1 key, a certificate, a signature only wasm can compute). With the
   * wasm backend, in the key module at once: the token module has no
   * signature code. Synchronous ops stay synchronous on the token module.
   */
  function either(op) {
    if (activeBackend() === 'wasm') return inKeys(op);
    let result;
    try {
      result = op(tokens);
    } catch (error) {
      if (!needsKeys(error)) throw error;
      return inKeys(op);
    }
    if (result instanceof Promise) {
      return result.catch((error) => {
        if (!needsKeys(error)) throw error;
        return inKeys(op);
      });
    }
    return result;
  }

  /** `either` for the synchronous functions: the key module only if it is loaded, or loads synchronously here. */
  function eitherSync(op) {
    ensureReady();
    try {
      return op(tokens);
    } catch (error) {
      if (!needsKeys(error)) throw error;
    }
    const engine = keyModuleSync();
    if (engine === null) {
      throw new JwtEdgeError(
        'ERR_WASM_NOT_INITIALIZED',
        "this input needs jwt-edge's key module: `await loadKeys()` once before calling synchronous functions with it",
      );
    }
    return op(engine);
  }

  /** A report whose outcomes name ERR_KEYS_MODULE_REQUIRED is the token module's "cannot": re-run it. */
  function wholeReport(outcomes) {
    if (Array.isArray(outcomes) && outcomes.some((outcome) => isObject(outcome) && outcome.code === KEYS_REQUIRED)) {
      throw new JwtEdgeError(KEYS_REQUIRED, 'the key module is needed for this report');
    }
    return outcomes;
  }

  // ------------------------------------------------------- arguments ----

  function text(value, what, token = false) {
    if (typeof value !== 'string') throw invalid(`${what} must be a string, not ${describe(value)}`);
    // UTF-16 length is a lower bound of the UTF-8 length: refuse before copying.
    if (value.length > (token ? limits.token : limits.input)) throw toError(wasm.oversizedInput(what, value.length, token));
    return value;
  }

  function json(value, what) {
    let out;
    try {
      out = JSON.stringify(value);
    } catch (error) {
      if (error instanceof RangeError) {
        throw new JwtEdgeError('ERR_JSON_TOO_DEEP', `${what} nests too deeply to be serialised`);
      }
      throw invalid(`${what} cannot be serialised as JSON: ${error.message}`);
    }
    if (out === undefined) throw invalid(`${what} cannot be serialised as JSON`);
    if (out.length > limits.input) throw toError(wasm.oversizedInput(what, out.length, false));
    return out;
  }

  /**
   * `json(value)` for a value that is likely passed again (a key, the
   * options): the text is remembered per object, and reused only while the
   * object still deep-equals the copy it was made from, so a mutated object
   * is serialised afresh. jose caches imported JWKs by identity alone.
   */
  function cachedJson(value, what, skip) {
    const entry = jsonCache.get(value);
    if (entry !== undefined && sameJson(value, entry.copy, skip, 0)) return entry.text;
    const text = json(skip === undefined ? value : without(value, skip), what);
    jsonCache.set(value, { text, copy: JSON.parse(text) });
    return text;
  }

  function options(value, what = 'options') {
    if (value === undefined || value === null) return { json: '', currentDate: undefined, raw: {} };
    if (!isObject(value)) throw invalid(`${what} must be an object, not ${describe(value)}`);
    return { json: cachedJson(value, what, 'currentDate'), currentDate: value.currentDate, raw: value };
  }

  function seconds(currentDate) {
    if (currentDate === undefined || currentDate === null) return Date.now() / 1000;
    if (currentDate instanceof Date) {
      const time = currentDate.getTime();
      if (!Number.isFinite(time)) throw invalid('currentDate is an invalid Date');
      return time / 1000;
    }
    if (typeof currentDate === 'number' && Number.isFinite(currentDate)) return currentDate;
    throw invalid(`currentDate must be a Date or seconds since the epoch, not ${describe(currentDate)}`);
  }

  /** `[pem, der]`: a certificate as PEM text or DER bytes. */
  function certificateInput(value) {
    if (typeof value === 'string') return [text(value, 'the certificate'), undefined];
    if (value instanceof Uint8Array) return [undefined, value];
    if (value instanceof ArrayBuffer) return [undefined, new Uint8Array(value)];
    throw invalid(`the certificate must be PEM text or DER bytes (Uint8Array), not ${describe(value)}`);
  }

  function call(fn) {
    try {
      return fn();
    } catch (error) {
      throw toError(error);
    }
  }

  // ------------------------------------------------------- key cache ----

  function forget(engine, ring) {
    let ids;
    try {
      ids = Array.from(ring.ids);
    } catch {
      return;
    }
    engine.nodeHost?.forget(ids);
    engine.subtleHost?.forget(ids);
  }

  function remember(engine, cacheKey, make) {
    const { rings } = engine;
    let ring = rings.get(cacheKey);
    if (ring !== undefined) {
      rings.delete(cacheKey);
      rings.set(cacheKey, ring);
    } else {
      try {
        ring = call(make);
      } catch (error) {
        // The token module refuses this key every time: remember that, so
        // that the next call goes to the key module without parsing it again.
        if (!needsKeys(error) || engine !== tokens) throw error;
        ring = NEEDS_KEYS;
      }
      rings.set(cacheKey, ring);
      if (rings.size > RING_CACHE_SIZE) {
        const [oldest, old] = rings.entries().next().value;
        rings.delete(oldest);
        if (old !== NEEDS_KEYS) forget(engine, old);
      }
    }
    if (ring === NEEDS_KEYS) throw new JwtEdgeError(KEYS_REQUIRED, 'this key needs the key module');
    return ring;
  }

  /** A key argument (JWK, JWKS, JSON text, PEM, secret) as a parsed KeyRing of `engine`, cached by content. */
  function keyRing(engine, key, signing, what) {
    const mode = signing ? 's' : 'v';
    if (typeof key === 'string') {
      const value = text(key, what);
      return remember(engine, mode + value, () => engine.wasm.KeyRing.fromText(value, signing));
    }
    if (key instanceof ArrayBuffer) key = new Uint8Array(key);
    if (key instanceof Uint8Array) {
      if (key.length > limits.input) throw toError(wasm.oversizedInput(what, key.length, false));
      let id = mode + 'b';
      for (let i = 0; i < key.length; i++) id += String.fromCharCode(key[i]);
      const bytes = key.slice();
      return remember(engine, id, () => engine.wasm.KeyRing.fromSecret(bytes));
    }
    if (isObject(key)) {
      const value = cachedJson(key, what);
      return remember(engine, mode + value, () => engine.wasm.KeyRing.fromText(value, signing));
    }
    throw invalid(`${what} must be a JWK, a JWK Set, a PEM string or a secret, not ${describe(key)}`);
  }

  async function ready() {
    if (!platform.isReady()) await platform.init();
    ensureReady();
  }

  // ------------------------------------------------ verify and sign ----

  async function verifyWith(token, keyOrJwks, opts, assertion) {
    if (!platform.isReady() || limits === null) await ready();
    text(token, 'the token', true);
    return either((engine) => {
      const ring = keyRing(engine, keyOrJwks, false, 'keyOrJwks');
      const { json: optionsJson, currentDate } = options(opts);
      const now = seconds(currentDate);
      const mode = activeBackend();
      if (mode !== 'webcrypto') {
        const host = mode === 'node' ? engine.nodeHost : undefined;
        return JSON.parse(call(() => engine.wasm.verifyJwt(ring, token, optionsJson, now, host, assertion)));
      }
      return verifyWithSubtle(engine, ring, token, optionsJson, now, assertion);
    });
  }

  async function verifyWithSubtle(engine, ring, token, optionsJson, now, assertion) {
    const pending = call(() => engine.wasm.beginVerify(ring, token, optionsJson, assertion));
    try {
      const valid = await engine.subtleHost.verify(ring, pending);
      return JSON.parse(call(() => pending.finish(ring, valid, now)));
    } finally {
      pending.free();
    }
  }

  /** A signature by the active backend: `sync(host)` for Node's crypto or wasm, `begin()` then WebCrypto then finish. */
  function signWith(engine, ring, begin, sync) {
    const mode = activeBackend();
    if (mode !== 'webcrypto') return call(() => sync(mode === 'node' ? engine.nodeHost : undefined));
    return signWithSubtle(engine, ring, begin);
  }

  async function signWithSubtle(engine, ring, begin) {
    const pending = call(begin);
    try {
      const signature = await engine.subtleHost.sign(ring, pending);
      return call(() => pending.finish(ring, signature));
    } finally {
      pending.free();
    }
  }

  // ------------------------------------------------------------ DPoP ----
  // RFC 9449. Every rule is the core's (src/dpop); here only the options
  // are checked for type and handed over.

  function dpopOptions(value, what) {
    if (!isObject(value)) throw invalid(`${what} must be an object, not ${describe(value)}`);
    const { currentDate, ...rest } = value;
    return { json: json(rest, what), now: seconds(currentDate) };
  }

  /** verifyJwt, then the core's DPoP decision when the token is bound or a proof is given. */
  async function verifyJwtWithDpop(token, keyOrJwks, opts) {
    const result = await verifyWith(token, keyOrJwks, opts, false);
    const dpop = isObject(opts) ? opts.dpop : undefined;
    if (dpop === false) return result; // the caller checks the binding elsewhere
    if (dpop === undefined && (!isObject(result.payload) || result.payload.cnf === undefined)) return result;
    if (dpop !== undefined && !isObject(dpop)) throw invalid(`option "dpop" must be an object or false, not ${describe(dpop)}`);
    const cnf = result.payload.cnf === undefined ? '' : json(result.payload.cnf, 'the cnf claim');
    const dpopJson = dpop === undefined ? '' : json(dpop, 'option "dpop"');
    const now = seconds(isObject(opts) ? opts.currentDate : undefined);
    const proof = JSON.parse(await either((engine) => call(() => engine.wasm.checkDpopBinding(token, cnf, dpopJson, now, proofHost()))));
    if (proof !== null) result.dpop = proof;
    return result;
  }

  /**
   * Node's crypto for proof signatures: keys arrive with each proof, imported
   * once per JWK text (64 kept). Keyed by the JWK, not by a module's ring
   * ids, so both modules share it.
   */
  const proofVerifier = platform.nodeCrypto ? createProofVerifier(platform.nodeCrypto) : undefined;
  const proofHost = () => (activeBackend() === 'node' ? proofVerifier : undefined);

  const dpopApi = {
    /** A DPoP proof for one request, signed with `privateKey` (RFC 9449 section 4). */
    async createDpopProof(privateKey, opts) {
      await ready();
      return either((engine) => {
        const ring = keyRing(engine, privateKey, true, 'the private key');
        const { json: optionsJson, now } = dpopOptions(opts, 'options');
        const host = activeBackend() === 'node' ? engine.nodeHost : undefined;
        return call(() => engine.wasm.createDpopProof(ring, optionsJson, now, host));
      });
    },

    /** Checks one DPoP proof for a request: `{ header, payload, jkt }`. Replay is the caller's. */
    async verifyDpopProof(proof, opts) {
      await ready();
      text(proof, 'the DPoP proof');
      const { json: optionsJson, now } = dpopOptions(opts, 'options');
      return either((engine) => JSON.parse(call(() => engine.wasm.verifyDpopProof(proof, optionsJson, now, proofHost()))));
    },

    /** Every check `verifyDpopProof` makes, each with its outcome; never stops at the first failure. */
    async dpopReport(proof, opts) {
      await ready();
      text(proof, 'the DPoP proof');
      const { json: optionsJson, now } = dpopOptions(opts, 'options');
      return either((engine) => wholeReport(call(() => engine.wasm.dpopReport(proof, optionsJson, now, proofHost()))));
    },

    /**
     * A bounded in-memory replay cache for one process: `check(proof)` takes
     * a verified proof (`verifyDpopProof`'s result or `verifyJwt(...).dpop`)
     * and throws ERR_DPOP_REPLAY if its `jti` (for its key) was seen within
     * its window. When full of live entries it refuses (fails closed). Plain
     * JavaScript, outside both wasm modules: a proof checked by either module
     * is recorded in the same memory.
     */
    createDpopReplayCache(opts) {
      const { maxEntries = 10000, maxAge = 300, clockTolerance = 5 } = opts ?? {};
      for (const [name, value] of Object.entries({ maxEntries, maxAge, clockTolerance })) {
        if (!(Number.isInteger(value) && value >= 0)) throw invalid(`option "${name}" must be a non-negative integer`);
      }
      const seen = new Map();
      return {
        check(proof, currentDate) {
          if (!isObject(proof) || !isObject(proof.payload) || typeof proof.jkt !== 'string') {
            throw invalid('check() takes a verified DPoP proof ({ header, payload, jkt })');
          }
          const { jti, iat } = proof.payload;
          if (typeof jti !== 'string' || typeof iat !== 'number') throw invalid('the proof has no jti or iat');
          const now = seconds(currentDate);
          const key = `${proof.jkt}.${jti}`;
          const expires = seen.get(key);
          if (expires !== undefined && expires > now) {
            throw new JwtEdgeError('ERR_DPOP_REPLAY', 'the DPoP proof was already used (same jti for the same key)');
          }
          if (expires === undefined && seen.size >= maxEntries) {
            for (const [old, until] of seen) if (until <= now) seen.delete(old);
            if (seen.size >= maxEntries) {
              throw new JwtEdgeError('ERR_DPOP_REPLAY', `the replay cache is full (${maxEntries} live proofs)`);
            }
          }
          seen.set(key, Math.floor(iat) + maxAge + clockTolerance + 1);
        },
        get size() {
          return seen.size;
        },
      };
    },
  };

  /** `jwk` as JSON text, or an ERR_INVALID_ARGUMENT. */
  function jwkText(jwk) {
    const value = typeof jwk === 'string' ? text(jwk, 'the JWK') : isObject(jwk) ? json(jwk, 'the JWK') : null;
    if (value === null) throw invalid(`the JWK must be an object or JSON text, not ${describe(jwk)}`);
    return value;
  }

  const api = {
    /** Loads the token module (automatic outside browsers; one awaited call in a browser). */
    init: () => ready(),

    /**
     * Loads the key module now; it loads by itself on the first call that
     * needs it. In a browser, `input` (a URL, Response, bytes or a compiled
     * Module) loads it from elsewhere than beside the package.
     */
    async loadKeys(input) {
      await keyModule(input);
    },

    /** Chooses who computes signatures: 'auto' | 'node' | 'webcrypto' | 'wasm'. */
    setCryptoBackend(name) {
      if (!BACKENDS.includes(name)) throw invalid(`backend must be one of ${BACKENDS.join(', ')}, not ${String(name)}`);
      if ((name === 'node' && !tokens.nodeHost) || (name === 'webcrypto' && !tokens.subtleHost)) {
        throw new JwtEdgeError('ERR_JOSE_NOT_SUPPORTED', `the ${name} crypto backend is not available here`);
      }
      backend = name;
      // The pure-wasm signatures are the key module's: start loading it now.
      // A failure here is not lost: the next call loads again and reports it.
      if (name === 'wasm') keyModule().catch(() => {});
    },

    /** The backend in use: 'node', 'webcrypto' or 'wasm'. */
    getCryptoBackend: () => activeBackend(),

    /** Every error code the API can raise. */
    errorCodes() {
      ensureReady();
      return [...wasm.errorCodes().filter((code) => code !== KEYS_REQUIRED), 'ERR_WASM_NOT_INITIALIZED'];
    },

    async jwkToPem(jwk, opts) {
      await ready();
      const value = jwkText(jwk);
      const { raw } = options(opts);
      if (raw.format !== undefined && typeof raw.format !== 'string') throw invalid('option "format" must be a string');
      if (raw.passphrase !== undefined && typeof raw.passphrase !== 'string') throw invalid('option "passphrase" must be a string');
      return inKeys((engine) => call(() => engine.wasm.jwkToPem(value, raw.format, raw.passphrase)));
    },

    async pemToJwk(pem, opts) {
      await ready();
      text(pem, 'the PEM');
      const { json: optionsJson } = options(opts);
      return inKeys((engine) => JSON.parse(call(() => engine.wasm.pemToJwk(pem, optionsJson))));
    },

    jwkThumbprint(jwk) {
      ensureReady();
      const value = jwkText(jwk);
      return eitherSync((engine) => call(() => engine.wasm.jwkThumbprint(value)));
    },

    async generateKeyPair(alg, opts) {
      await ready();
      text(alg, 'alg');
      const { raw } = options(opts);
      const { modulusLength, kid } = raw;
      if (modulusLength !== undefined && !(Number.isInteger(modulusLength) && modulusLength > 0 && modulusLength < 2 ** 32)) {
        throw invalid('option "modulusLength" must be a positive integer');
      }
      if (kid !== undefined && typeof kid !== 'string') throw invalid('option "kid" must be a string');
      const bits = modulusLength ?? 2048;
      const mode = activeBackend();
      // RSA key generation is far faster natively; the core checks the result.
      if (/^[RP]S(256|384|512)$/.test(alg) && [2048, 3072, 4096].includes(bits) && mode !== 'wasm') {
        const [engine, jwk] = await Promise.all([keyModule(), nativeRsa(mode, bits)]);
        return JSON.parse(call(() => engine.wasm.importKeyPair(alg, modulusLength, kid, JSON.stringify(jwk))));
      }
      return inKeys((engine) => JSON.parse(call(() => engine.wasm.generateKeyPair(alg, modulusLength, kid))));
    },

    async generateSecret(alg, opts) {
      await ready();
      text(alg, 'alg');
      const { raw } = options(opts);
      if (raw.kid !== undefined && typeof raw.kid !== 'string') throw invalid('option "kid" must be a string');
      return inKeys((engine) => JSON.parse(call(() => engine.wasm.generateSecret(alg, raw.kid))));
    },

    decodeJwt(token) {
      ensureReady();
      text(token, 'the token', true);
      return eitherSync((engine) => JSON.parse(call(() => engine.wasm.decodeJwt(token))));
    },

    async signJwt(payload, key, opts) {
      await ready();
      if (!isObject(payload)) throw invalid(`the payload must be an object of claims, not ${describe(payload)}`);
      const payloadJson = json(payload, 'the payload');
      return either((engine) => {
        const ring = keyRing(engine, key, true, 'the key');
        const { json: optionsJson } = options(opts);
        return signWith(
          engine,
          ring,
          () => engine.wasm.beginSign(ring, payloadJson, optionsJson),
          (host) => engine.wasm.signJwt(ring, payloadJson, optionsJson, host),
        );
      });
    },

    verifyJwt: (token, keyOrJwks, opts) => verifyJwtWithDpop(token, keyOrJwks, opts),

    async buildAssertion(request, key, opts) {
      await ready();
      const { json: requestJson, currentDate } = options(request, 'the assertion request');
      if (request === undefined || request === null) throw invalid('the assertion request must be an object');
      const now = seconds(currentDate);
      const built = await either((engine) => {
        const ring = keyRing(engine, key, true, 'the key');
        const { json: optionsJson } = options(opts);
        return signWith(
          engine,
          ring,
          () => engine.wasm.beginBuildAssertion(requestJson, ring, optionsJson, now),
          (host) => engine.wasm.buildAssertion(requestJson, ring, optionsJson, now, host),
        );
      });
      return JSON.parse(built);
    },

    verifyAssertion: (assertion, keyOrJwks, opts) => verifyWith(assertion, keyOrJwks, opts, true),

    /** Every verification check with its outcome, for a person debugging a token. */
    async verifyReport(token, keyOrJwks, opts) {
      await ready();
      text(token, 'the token', true);
      return either((engine) => {
        const ring = keyRing(engine, keyOrJwks, false, 'keyOrJwks');
        const { json: optionsJson, currentDate } = options(opts);
        const now = seconds(currentDate);
        return wholeReport(call(() => engine.wasm.verifyReport(ring, token, optionsJson, now)));
      });
    },

    lintClaims(payload, opts) {
      ensureReady();
      if (!isObject(payload)) throw invalid(`the payload must be an object of claims, not ${describe(payload)}`);
      const payloadJson = json(payload, 'the payload');
      const { raw, currentDate } = options(opts);
      if (raw.profile !== undefined && typeof raw.profile !== 'string') throw invalid('option "profile" must be a string');
      const now = seconds(currentDate);
      return eitherSync((engine) => call(() => engine.wasm.lintClaims(payloadJson, raw.profile, now)));
    },

    /** A self-signed X.509 certificate (PEM) for a private key. */
    async createCertificate(privateKey, opts) {
      await ready();
      const { raw } = options(opts);
      const notBefore = seconds(raw.notBefore);
      const certOptions = json({
        subject: raw.subject,
        days: raw.days,
        subjectAltNames: raw.subjectAltNames,
        hash: raw.hash,
      }, 'the options');
      return inKeys((engine) => {
        const ring = keyRing(engine, privateKey, true, 'the private key');
        return call(() => engine.wasm.createCertificate(ring, certOptions, notBefore));
      });
    },

    /** A PKCS#10 certificate signing request (PEM) for a private key. */
    async createCsr(privateKey, opts) {
      await ready();
      const { raw } = options(opts);
      const csrOptions = json({ subject: raw.subject, subjectAltNames: raw.subjectAltNames, hash: raw.hash }, 'the options');
      return inKeys((engine) => {
        const ring = keyRing(engine, privateKey, true, 'the private key');
        return call(() => engine.wasm.createCsr(ring, csrOptions));
      });
    },

    /** What a certificate (PEM, possibly a chain, or DER bytes) says. */
    async inspectCertificate(pemOrDer, opts) {
      await ready();
      const [pem, der] = certificateInput(pemOrDer);
      const { currentDate } = options(opts);
      const now = seconds(currentDate);
      const withDates = (info) => ({ ...info, notBefore: new Date(info.notBefore * 1000), notAfter: new Date(info.notAfter * 1000) });
      const result = await inKeys((engine) => call(() => engine.wasm.inspectCertificate(pem, der, now)));
      return { ...withDates(result), chain: result.chain.map(withDates) };
    },

    /** Whether a key (private or public) belongs to a certificate. */
    async keyMatchesCertificate(key, cert) {
      await ready();
      const [pem, der] = certificateInput(cert);
      return inKeys((engine) => {
        const ring = keyRing(engine, key, false, 'the key');
        return call(() => engine.wasm.keyMatchesCertificate(ring, pem, der));
      });
    },
  };

  /** An RSA private JWK generated by Node's crypto or WebCrypto (`mode`). */
  async function nativeRsa(mode, bits) {
    if (mode === 'node') {
      const privateKey = await new Promise((resolve, reject) => {
        platform.nodeCrypto.generateKeyPair('rsa', { modulusLength: bits, publicExponent: 65537 }, (error, _publicKey, key) =>
          error ? reject(error) : resolve(key));
      });
      return privateKey.export({ format: 'jwk' });
    }
    return tokens.subtleHost.generateRsa(bits);
  }

  Object.assign(api, dpopApi);
  return api;
}
