// The floor: the least a server must do to answer `GET /api/auth/me` and `POST /token`, hand-written
// on the stack Pylon's hot paths use — Node's `http` request listener as Pylon's direct lane
// (packages/server/src/http/direct-lane.ts) answers them, better-sqlite3, and libsodium's Ed25519
// (sodium-native) where its addon loads, node:crypto otherwise — with nothing else: read the bearer
// token, hash it, one indexed read of the session joined to its user (expiry checked), and for
// /token the JSON body and one signature over the claims Pylon's carry. No request id, security
// headers, logging, metrics, org hosts, CSRF, capability resolution or error catalogue. Pylon
// divided by this is the share of the cost that is Pylon's own layers rather than the work itself.
// `POST /api/auth/password/login` likewise: the JSON body, one read of the account, the Argon2id
// verify with Pylon's own hasher bounded as `serve` bounds it, one insert of the session — no rate
// limits, lockout, audit entry or durable commit (the session's insert is not fsynced), so it does
// less than any password sign-in must, and its rate is an upper bound on what one can reach here.
// Sends `{ port, token, signer, signIns }` over IPC once it listens (`signIns`: one JSON sign-in
// body per account).
import { createHash, generateKeyPairSync, hash, randomBytes, randomFillSync, sign } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  createPasswordHasher,
  passwordHashConcurrency,
} from '../../packages/server/dist/platform/password.js';

const db = new Database(join(mkdtempSync(join(tmpdir(), 'pylon-floor-')), 'floor.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`
  create table users (
    id text primary key, email text not null unique, email_verified_at integer, password_hash text
  );
  create table sessions (
    id text primary key, token_hash text not null unique, user_id text not null references users(id),
    created_at integer not null, expires_at integer not null
  );
`);
// One-shot hashing where Node has it (20.12 and later), as Pylon hashes session tokens.
const sha256 = hash
  ? (text) => hash('sha256', text)
  : (text) => createHash('sha256').update(text).digest('hex');
const token = `pylon_${randomBytes(24).toString('base64url')}`;
const now = Date.now();
db.transaction(() => {
  const user = db.prepare('insert into users (id, email, email_verified_at) values (?, ?, ?)');
  const session = db.prepare(
    'insert into sessions (id, token_hash, user_id, created_at, expires_at) values (?, ?, ?, ?, ?)',
  );
  for (let i = 0; i < 1000; i++) {
    user.run(`usr_${i}`, `person-${i}@example.com`, now);
    session.run(`ses_${i}`, sha256(i === 0 ? token : `other-${i}`), `usr_${i}`, now, now + 86_400_000);
  }
})();
// One account per connection of the benchmark, as bench/cases/password.mjs registers them.
const PASSWORD = 'benchmark password';
const hasher = createPasswordHasher({}, { concurrency: passwordHashConcurrency(availableParallelism(), 1) });
const signIns = [];
const setHash = db.prepare('update users set password_hash = ? where id = ?');
for (let i = 0; i < Number(process.env.BENCH_CONNECTIONS ?? 10); i++) {
  setHash.run(await hasher.hash(PASSWORD), `usr_${i}`);
  signIns.push(JSON.stringify({ email: `person-${i}@example.com`, password: PASSWORD }));
}
const account = db.prepare('select id, password_hash from users where email = ?');
const newSession = db.prepare(
  'insert into sessions (id, token_hash, user_id, created_at, expires_at) values (?, ?, ?, ?, ?)',
);
const lookup = db.prepare(
  `select sessions.id, sessions.user_id, sessions.expires_at, users.email, users.email_verified_at
   from sessions join users on users.id = sessions.user_id where sessions.token_hash = ?`,
);

// A token id's random bytes come out of a pool filled 4 KiB at a time, as Pylon's do
// (packages/server/src/crypto/random.ts): a call into OpenSSL per token costs several µs.
const randomPool = Buffer.alloc(4096);
let randomOffset = randomPool.length;
function tokenId() {
  if (randomOffset + 16 > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  randomOffset += 16;
  return randomPool.toString('base64url', randomOffset - 16, randomOffset);
}

/** libsodium's detached signature where the addon loads (as Pylon signs), else node:crypto's. */
function signer() {
  const { privateKey } = generateKeyPairSync('ed25519');
  try {
    const sodium = createRequire(import.meta.url)('sodium-native');
    const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d, 'base64url');
    const secretKey = sodium.sodium_malloc(64);
    sodium.crypto_sign_seed_keypair(Buffer.alloc(32), secretKey, seed);
    return {
      name: 'libsodium',
      sign: (data) => {
        const signature = Buffer.allocUnsafe(64);
        sodium.crypto_sign_detached(signature, data, secretKey);
        return signature;
      },
    };
  } catch {
    return { name: 'node:crypto', sign: (data) => sign(null, data, privateKey) };
  }
}
const signing = signer();
const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'floor', typ: 'JWT' })).toString('base64url');
// What the benchmark's `example:admin` grant expands to under the reference schema.
const CAPS = ['example:policy.read', 'example:policy.set', 'example:world.read', 'example:world.write'];

function session(request) {
  const authorization = request.headers.authorization ?? '';
  if (!authorization.startsWith('Bearer ')) return null;
  const row = lookup.get(sha256(authorization.slice(7)));
  return row && row.expires_at > Date.now() ? row : null;
}

function json(response, status, value) {
  const body = JSON.stringify(value);
  response.writeHead(status, [
    'content-type',
    'application/json',
    'content-length',
    String(Buffer.byteLength(body)),
  ]);
  response.end(body);
}

function me(request, response) {
  const row = session(request);
  json(response, 200, {
    userId: row?.user_id ?? null,
    email: row?.email ?? null,
    emailVerified: row ? row.email_verified_at !== null : false,
    isAdmin: false,
    isGuest: false,
    roles: [],
    tenantId: null,
    authMethod: row ? 'session' : 'anonymous',
  });
}

/** The request's JSON body, or undefined (after a 400) when it is not JSON. */
function readJSON(request, response, then) {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return json(response, 400, { error: 'bad_request' });
    }
    return then(body);
  });
}

function passwordLogin(request, response) {
  readJSON(request, response, async (body) => {
    const user = typeof body?.email === 'string' ? account.get(body.email) : undefined;
    const password = typeof body?.password === 'string' ? body.password : '';
    const verified = user
      ? await hasher.verify(user.password_hash, password)
      : await hasher.verifyDummy(password);
    if (!verified) return json(response, 401, { error: 'invalid_credentials' });
    const sessionToken = `pylon_${randomBytes(32).toString('hex')}`;
    const created = Date.now();
    const expiresAt = created + 30 * 86_400_000;
    newSession.run(
      `ses_${randomBytes(12).toString('hex')}`,
      sha256(sessionToken),
      user.id,
      created,
      expiresAt,
    );
    json(response, 200, { token: sessionToken, user_id: user.id, expires_at: Math.floor(expiresAt / 1000) });
  });
}

function mint(request, response) {
  const row = session(request);
  if (!row) return json(response, 401, { error: 'no_session' });
  readJSON(request, response, (body) => {
    if (typeof body?.app_id !== 'string') return json(response, 400, { error: 'invalid_app_id' });
    const iat = Math.floor(Date.now() / 1000);
    const claims = {
      iss: 'http://127.0.0.1',
      aud: body.app_id,
      sub: row.email,
      org: 'default',
      app: body.app_id,
      caps: CAPS,
      iat,
      nbf: iat,
      exp: iat + 30,
      jti: tokenId(),
    };
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const signature = signing.sign(Buffer.from(input)).toString('base64url');
    json(response, 200, { scoped_token: `${input}.${signature}`, ttl: 30, expires_at: (iat + 30) * 1000 });
  });
}

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/api/auth/me') return me(request, response);
  if (request.method === 'POST' && request.url === '/token') return mint(request, response);
  if (request.method === 'POST' && request.url === '/api/auth/password/login')
    return passwordLogin(request, response);
  json(response, 404, { error: 'not_found' });
});
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: server.address().port, token, signer: signing.name, signIns });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
