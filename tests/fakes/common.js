'use strict';
// common.js - what the Drive, Graph and Dropbox fakes share: the command
// line, bearer-token checks (token file or RFC 7662 introspection), fault
// injection rules, counters, streaming request bodies into staging files,
// moving finished uploads into the store, and the /__fake/ control routes.
//
// Node built-ins only (the fakes must run where only node exists).

const http = require('http');
const https = require('https');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { URL } = require('url');

const USAGE = 'usage: node FAKE.js --port P --store DIR --tokens FILE ' +
	'[--tls-cert C --tls-key K] [--introspect URL --introspect-client ID:SECRET ' +
	'[--introspect-ca FILE]] [--faults FILE] [--session-ttl SECONDS] [--public-url URL] ' +
	'[--tls-version TLSv1.1|TLSv1.2|TLSv1.3] [--mode NAME (graph: consumer)]';

// die - one-line error naming the problem, non-zero exit
function die(msg) {
	process.stderr.write(`${path.basename(process.argv[1] || 'fake')}: ${msg}\n`);
	process.exit(2);
}

// parseArgs - the CLI every fake accepts; unknown options are errors
function parseArgs(argv) {
	const opts = { port: null, store: null, tokens: null, tlsCert: null, tlsKey: null,
		introspect: null, introspectClient: null, introspectCa: null,
		faults: null, sessionTtl: 7 * 24 * 3600, publicUrl: null, tlsVersion: null,
		mode: null };
	const names = { '--port': 'port', '--store': 'store', '--tokens': 'tokens',
		'--tls-cert': 'tlsCert', '--tls-key': 'tlsKey', '--introspect': 'introspect',
		'--introspect-client': 'introspectClient', '--introspect-ca': 'introspectCa',
		'--faults': 'faults', '--session-ttl': 'sessionTtl', '--public-url': 'publicUrl',
		'--tls-version': 'tlsVersion', '--mode': 'mode' };
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === '--help' || argv[i] === '-h') {
			process.stdout.write(USAGE + '\n');
			process.exit(0);
		}
		const key = names[argv[i]];
		if (!key) die(`unknown option ${argv[i]}\n${USAGE}`);
		if (i + 1 >= argv.length) die(`${argv[i]} needs a value`);
		opts[key] = argv[++i];
	}
	if (opts.port === null || !/^\d+$/.test(opts.port) || Number(opts.port) > 65535)
		die(`--port needs a number 0-65535\n${USAGE}`);
	opts.port = Number(opts.port);
	if (!opts.store) die(`--store DIR is required\n${USAGE}`);
	if (!opts.tokens && !opts.introspect) die(`--tokens FILE or --introspect URL is required\n${USAGE}`);
	if (!!opts.tlsCert !== !!opts.tlsKey) die('--tls-cert and --tls-key go together');
	if (opts.tlsVersion && !['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'].includes(opts.tlsVersion))
		die('--tls-version must be TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3');
	if (opts.tlsVersion && !opts.tlsCert) die('--tls-version needs --tls-cert and --tls-key');
	if (opts.introspect && !opts.introspectClient) die('--introspect needs --introspect-client ID:SECRET');
	if (!/^\d+$/.test(String(opts.sessionTtl))) die('--session-ttl needs a number of seconds');
	opts.sessionTtl = Number(opts.sessionTtl);
	try {
		fs.mkdirSync(opts.store, { recursive: true });
	} catch (e) {
		die(`cannot create store ${opts.store}: ${e.message}`);
	}
	opts.store = fs.realpathSync(opts.store);
	return opts;
}

// Auth - bearer tokens from a file re-read on every request (so a test
// revokes a token by editing the file), or RFC 7662 introspection.
// A token file line is "TOKEN [CLIENT]"; CLIENT (default "default") is the
// OAuth client the token was issued to (Drive's drive.file visibility).
class Auth {
	constructor(opts) {
		this.opts = opts;
	}

	// bearerOf - the token of an "Authorization: Bearer X" header, or null
	static bearerOf(req) {
		const h = req.headers.authorization;
		if (!h) return null;
		const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
		return m ? m[1] : '';
	}

	// check - resolves {ok, client, reason}
	async check(req) {
		const token = Auth.bearerOf(req);
		if (token === null) return { ok: false, reason: 'missing' };
		if (token === '') return { ok: false, reason: 'malformed' };
		if (this.opts.tokens) {
			let text = '';
			try {
				text = fs.readFileSync(this.opts.tokens, 'utf8');
			} catch (e) {
				if (!this.opts.introspect) return { ok: false, reason: `token file: ${e.code}` };
			}
			for (const line of text.split('\n')) {
				const f = line.trim().split(/\s+/);
				if (!f[0] || f[0].startsWith('#')) continue;
				if (f[0] === token) return { ok: true, client: f[1] || 'default' };
			}
		}
		if (this.opts.introspect) return this.introspect(token);
		return { ok: false, reason: 'unknown' };
	}

	// introspect - RFC 7662 POST token=X with the resource server's
	// client credentials (HTTP Basic, RFC 7662 section 2.1)
	introspect(token) {
		const u = new URL(this.opts.introspect);
		const body = `token=${encodeURIComponent(token)}&token_type_hint=access_token`;
		const [id, ...rest] = this.opts.introspectClient.split(':');
		const basic = Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(rest.join(':'))}`).toString('base64');
		const mod = u.protocol === 'https:' ? https : http;
		const reqOpts = { method: 'POST', headers: {
			'Content-Type': 'application/x-www-form-urlencoded',
			'Content-Length': Buffer.byteLength(body), Accept: 'application/json',
			Authorization: `Basic ${basic}` } };
		if (this.opts.introspectCa) reqOpts.ca = fs.readFileSync(this.opts.introspectCa);
		return new Promise((resolve) => {
			const r = mod.request(u, reqOpts, (res) => {
				const parts = [];
				res.on('data', (d) => parts.push(d));
				res.on('end', () => {
					let j = null;
					try {
						j = JSON.parse(Buffer.concat(parts).toString('utf8'));
					} catch (e) { /* not JSON: inactive */ }
					if (res.statusCode === 200 && j && j.active === true &&
					    !(typeof j.exp === 'number' && j.exp * 1000 < Date.now()))
						resolve({ ok: true, client: j.client_id || 'default', scope: j.scope });
					else
						resolve({ ok: false, reason: `introspection: ${res.statusCode} ${j && j.active === false ? 'inactive' : ''}` });
				});
			});
			r.on('error', (e) => resolve({ ok: false, reason: `introspection: ${e.message}` }));
			r.end(body);
		});
	}
}

const FAULT_MATCHES = ['upload-chunk', 'create-session', 'finish', 'status', 'lookup', 'any'];
// error actions are answered before the request is used; quota, gone and
// bad-request are the permanent failures (each provider's own shape), and
// 403-rate is Drive's retryable 403 userRateLimitExceeded
const ERROR_ACTIONS = ['429', '503', '500', '401', 'quota', 'gone', 'bad-request', '403-rate'];
// delay: hold the request ms milliseconds, then serve it normally (two
// clients' requests then overlap deterministically: races)
const FAULT_ACTIONS = [...ERROR_ACTIONS, 'reset', 'partial', 'drop-response', 'delay'];

// Faults - the injection rules. A rule fires on the nth request (1-based)
// of its kind, or on every one; each rule counts its own occurrences.
class Faults {
	// unsupported: actions this provider has no answer for
	constructor(unsupported) {
		this.rules = [];
		this.fired = 0;
		this.unsupported = unsupported || [];
	}

	// set - replace all rules; throws a one-line Error on a bad rule
	set(list) {
		if (list && !Array.isArray(list) && Array.isArray(list.rules)) list = list.rules;
		if (!Array.isArray(list)) throw new Error('faults must be a JSON list of rules (or {"rules":[...]})');
		const rules = list.map((r, i) => {
			if (!r || typeof r !== 'object') throw new Error(`rule ${i + 1}: not an object`);
			const match = r.match || 'any';
			const action = String(r.action);
			if (!FAULT_MATCHES.includes(match)) throw new Error(`rule ${i + 1}: match must be one of ${FAULT_MATCHES.join(' ')}`);
			if (!FAULT_ACTIONS.includes(action)) throw new Error(`rule ${i + 1}: action must be one of ${FAULT_ACTIONS.join(' ')}`);
			if (this.unsupported.includes(action)) throw new Error(`rule ${i + 1}: this provider has no ${action} answer`);
			if (!r.every && !(Number.isInteger(r.nth) && r.nth >= 1)) throw new Error(`rule ${i + 1}: needs nth (1-based) or every: true`);
			const bytes = r.bytes === undefined ? 0 : r.bytes;
			if (!Number.isInteger(bytes) || bytes < 0) throw new Error(`rule ${i + 1}: bytes must be a non-negative integer`);
			if (r.retry_after !== undefined && !(Number.isInteger(r.retry_after) && r.retry_after >= 0))
				throw new Error(`rule ${i + 1}: retry_after must be whole seconds`);
			const ms = r.ms === undefined ? 1000 : r.ms;
			if (!Number.isInteger(ms) || ms < 0 || ms > 60000) throw new Error(`rule ${i + 1}: ms must be 0..60000`);
			return { match, action, nth: r.nth || null, every: !!r.every, bytes, ms,
				retry_after: r.retry_after, seen: 0, fired: 0 };
		});
		this.rules = rules;
	}

	// load - rules from a file (--faults)
	load(file) {
		this.set(JSON.parse(fs.readFileSync(file, 'utf8')));
	}

	// take - the first rule that fires for a request of these kinds, or null.
	// Every matching rule counts the request, fired or not.
	take(kinds) {
		let hit = null;
		for (const r of this.rules) {
			if (r.match !== 'any' && !kinds.includes(r.match)) continue;
			r.seen++;
			if (hit) continue;
			if (r.every || r.seen === r.nth) {
				r.fired++;
				this.fired++;
				hit = r;
			}
		}
		return hit;
	}

	list() {
		return this.rules.map((r) => ({ ...r }));
	}
}

// Stats - counters for "exactly once" assertions
class Stats {
	constructor() {
		this.reset();
	}

	reset() {
		this.requests = 0;
		this.bytes_received = 0;
		this.completed_uploads = 0;
		this.sessions_created = 0;
		this.by_kind = {};
		this.by_status = {};
	}

	json(faults) {
		return { requests: this.requests, bytes_received: this.bytes_received,
			completed_uploads: this.completed_uploads, sessions_created: this.sessions_created,
			by_kind: this.by_kind, by_status: this.by_status, faults_fired: faults.fired };
	}
}

// newId - a random URL-safe identifier of n random bytes
function newId(n) {
	return crypto.randomBytes(n).toString('base64url');
}

// sendJson - a JSON reply (Content-Length set, so keep-alive works)
function sendJson(res, status, obj, headers) {
	const body = obj === undefined ? '' : JSON.stringify(obj);
	const h = { ...(headers || {}) };
	if (obj !== undefined) h['Content-Type'] = 'application/json; charset=UTF-8';
	h['Content-Length'] = Buffer.byteLength(body);
	res.writeHead(status, h);
	res.end(body);
}

// sendText - a plain-text reply
function sendText(res, status, text, headers) {
	res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8',
		'Content-Length': Buffer.byteLength(text), ...(headers || {}) });
	res.end(text);
}

// readBody - the whole (small) body of a request, capped; null when over cap
// or when the client went away
function readBody(req, cap) {
	return new Promise((resolve) => {
		const parts = [];
		let n = 0;
		let over = false;
		req.on('data', (d) => {
			n += d.length;
			if (n > cap) over = true;
			else parts.push(d);
		});
		req.on('end', () => resolve(over ? null : Buffer.concat(parts)));
		req.on('aborted', () => resolve(null));
		req.on('error', () => resolve(null));
	});
}

// drain - read and discard a body; resolves with the byte count
function drain(req) {
	return new Promise((resolve) => {
		let n = 0;
		req.on('data', (d) => { n += d.length; });
		req.on('end', () => resolve(n));
		req.on('aborted', () => resolve(n));
		req.on('error', () => resolve(n));
		req.resume();
	});
}

// receiveInto - stream a body into fd at pos. Persists at most
// persistLimit bytes (the rest is read and thrown away, the "partial"
// fault); with resetAfter, destroys the connection once that many bytes
// arrived (the "reset" fault). Resolves {received, persisted, complete}.
function receiveInto(req, fd, pos, o) {
	const persistLimit = o.persistLimit === undefined ? Infinity : o.persistLimit;
	const resetAfter = o.resetAfter;
	const stats = o.stats;
	return new Promise((resolve) => {
		let received = 0;
		let persisted = 0;
		let writing = 0;
		let ended = false;
		let finished = false;
		let stopped = false; // the reset fault fired: ignore what still comes
		const finish = (complete) => {
			if (finished) return;
			finished = true;
			resolve({ received, persisted, complete });
		};
		const maybeDone = () => {
			if (ended && writing === 0) finish(true);
		};
		// a cut request: report only once the writes under way have landed,
		// so "persisted" is what the staging file really holds
		const cut = () => {
			if (ended) return;
			const wait = () => (writing === 0 ? finish(false) : setImmediate(wait));
			wait();
		};
		if (resetAfter === 0) {
			req.socket.destroy();
			finish(false);
			return;
		}
		req.on('data', (d) => {
			if (finished || stopped) return;
			let chunk = d;
			if (resetAfter !== undefined && received + chunk.length >= resetAfter)
				chunk = chunk.subarray(0, resetAfter - received);
			received += chunk.length;
			if (stats) stats.bytes_received += chunk.length;
			const keep = Math.min(chunk.length, Math.max(0, persistLimit - persisted));
			if (keep > 0) {
				const at = pos + persisted;
				persisted += keep;
				writing++;
				req.pause();
				fs.write(fd, chunk, 0, keep, at, (err) => {
					writing--;
					if (err) {
						process.stderr.write(`fake: write to staging file: ${err.message}\n`);
						req.socket.destroy();
						finish(false);
						return;
					}
					req.resume();
					maybeDone();
				});
			}
			if (resetAfter !== undefined && received >= resetAfter) {
				// the reset fault: the connection dies mid-body
				stopped = true;
				req.socket.destroy();
				cut();
			}
		});
		req.on('end', () => { ended = true; maybeDone(); });
		req.on('aborted', cut);
		req.on('error', cut);
		req.on('close', cut);
	});
}

// hashFile - size, md5, sha256 and Dropbox's content_hash (SHA-256 of the
// concatenated SHA-256 digests of each 4 MiB block) of a file
function hashFile(file) {
	const BLOCK = 4 * 1024 * 1024;
	return new Promise((resolve, reject) => {
		const md5 = crypto.createHash('md5');
		const sha = crypto.createHash('sha256');
		const dbx = crypto.createHash('sha256');
		let block = crypto.createHash('sha256');
		let inBlock = 0;
		let size = 0;
		const s = fs.createReadStream(file, { highWaterMark: 1024 * 1024 });
		s.on('data', (d) => {
			md5.update(d);
			sha.update(d);
			size += d.length;
			let off = 0;
			while (off < d.length) {
				const take = Math.min(BLOCK - inBlock, d.length - off);
				block.update(d.subarray(off, off + take));
				inBlock += take;
				off += take;
				if (inBlock === BLOCK) {
					dbx.update(block.digest());
					block = crypto.createHash('sha256');
					inBlock = 0;
				}
			}
		});
		s.on('error', reject);
		s.on('end', () => {
			if (inBlock > 0) dbx.update(block.digest());
			resolve({ size, md5: md5.digest('hex'), sha256: sha.digest('hex'),
				content_hash: dbx.digest('hex') });
		});
	});
}

// Staging - unfinished uploads live in STORE/.staging/<session> (never in
// /tmp: the end-to-end tests search /tmp for plaintext markers)
class Staging {
	constructor(store) {
		this.dir = path.join(store, '.staging');
		fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
	}

	// open - a new empty staging file; returns {file, fd}
	open(id) {
		const file = path.join(this.dir, id);
		const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC, 0o600);
		return { file, fd };
	}

	// discard - close and remove a staging file
	discard(st) {
		if (st.fd !== null) fs.closeSync(st.fd);
		st.fd = null;
		fs.rmSync(st.file, { force: true });
	}

	// place - truncate to size, close, move to STORE/rel; synchronous, so a
	// caller that picked a free name and records it before its next await
	// cannot race another upload to the same name. Returns the path.
	place(st, store, rel, size) {
		fs.ftruncateSync(st.fd, size);
		fs.fchmodSync(st.fd, 0o644); // tests may cmp it as another user
		fs.closeSync(st.fd);
		st.fd = null;
		const dest = path.join(store, rel);
		fs.mkdirSync(path.dirname(dest), { recursive: true });
		fs.renameSync(st.file, dest);
		return dest;
	}
}

// safeRel - a store-relative path from a provider path, refusing "..";
// null when unusable
function safeRel(p) {
	const parts = String(p).split('/').filter((s) => s !== '' && s !== '.');
	if (parts.length === 0 || parts.some((s) => s === '..' || s.includes('\0'))) return null;
	return parts.join('/');
}

// splitExt - "a.b.pdf" -> ["a.b", ".pdf"] (for rename-on-conflict)
function splitExt(name) {
	const dot = name.lastIndexOf('.');
	if (dot <= 0) return [name, ''];
	return [name.slice(0, dot), name.slice(dot)];
}

// startServer - listen on 127.0.0.1 and route /__fake/* to the control
// handlers and everything else to the provider. The provider object has
// handle(req, res, url, auth), index(), expireSessions(), name.
function startServer(opts, provider) {
	const faults = new Faults(provider.unsupportedFaults);
	const stats = new Stats();
	if (opts.faults) {
		try {
			faults.load(opts.faults);
		} catch (e) {
			die(`--faults ${opts.faults}: ${e.message}`);
		}
	}
	const auth = new Auth(opts);
	provider.faults = faults;
	provider.stats = stats;
	provider.auth = auth;

	const control = async (req, res, url) => {
		const route = `${req.method} ${url.pathname}`;
		if (route === 'GET /__fake/files') return sendJson(res, 200, provider.index());
		if (route === 'GET /__fake/stats') return sendJson(res, 200, stats.json(faults));
		if (route === 'POST /__fake/stats/reset') { stats.reset(); return sendJson(res, 200, stats.json(faults)); }
		if (route === 'GET /__fake/faults') return sendJson(res, 200, faults.list());
		if (route === 'DELETE /__fake/faults') { faults.set([]); return sendJson(res, 200, []); }
		if (route === 'POST /__fake/faults') {
			const body = await readBody(req, 1 << 20);
			try {
				faults.set(JSON.parse(body ? body.toString('utf8') : ''));
			} catch (e) {
				return sendJson(res, 400, { error: e.message });
			}
			return sendJson(res, 200, faults.list());
		}
		if (route === 'POST /__fake/expire-sessions')
			return sendJson(res, 200, { expired: provider.expireSessions() });
		if (provider.control) {
			const done = await provider.control(req, res, url);
			if (done) return undefined;
		}
		return sendJson(res, 404, { error: `no control route ${route}` });
	};

	const handler = (req, res) => {
		const scheme = opts.tlsCert ? 'https' : 'http';
		const url = new URL(req.url, `${scheme}://${req.headers.host || '127.0.0.1'}`);
		res.on('finish', () => {
			stats.by_status[res.statusCode] = (stats.by_status[res.statusCode] || 0) + 1;
		});
		const p = url.pathname.startsWith('/__fake/') ? control(req, res, url)
			: (stats.requests++, provider.handle(req, res, url));
		Promise.resolve(p).catch((e) => {
			process.stderr.write(`${provider.name}: ${req.method} ${url.pathname}: ${e.stack || e}\n`);
			if (!res.headersSent) sendJson(res, 500, { error: String(e.message || e) });
			else res.destroy();
		});
	};

	let server;
	if (opts.tlsCert) {
		const tls = { cert: fs.readFileSync(opts.tlsCert), key: fs.readFileSync(opts.tlsKey),
			minVersion: 'TLSv1.2' };
		if (opts.tlsVersion) {
			// exactly one protocol version: lets a test present an outdated
			// server (TLS 1.1 needs OpenSSL's security level 0 to be offered)
			tls.minVersion = opts.tlsVersion;
			tls.maxVersion = opts.tlsVersion;
			if (opts.tlsVersion < 'TLSv1.2') tls.ciphers = 'DEFAULT:@SECLEVEL=0';
		}
		server = https.createServer(tls, handler);
	} else {
		server = http.createServer(handler);
	}
	server.keepAliveTimeout = 30000;
	server.requestTimeout = 0; // big uploads over slow test links
	server.on('error', (e) => die(`listen 127.0.0.1:${opts.port}: ${e.message}`));
	server.listen(opts.port, '127.0.0.1', () => {
		const port = server.address().port;
		// the URL sessions are handed out under (Location, uploadUrl)
		provider.base = opts.publicUrl || `${opts.tlsCert ? 'https' : 'http'}://127.0.0.1:${port}`;
		process.stdout.write(`listening ${port}\n`);
	});
	for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
	return server;
}

// classify - count the request's kinds and pick the fault (if any)
function takeFault(provider, kinds) {
	for (const k of kinds) provider.stats.by_kind[k] = (provider.stats.by_kind[k] || 0) + 1;
	return provider.faults.take(kinds);
}

// isErrorAction - the fault actions answered with an error status before
// the body is used
function isErrorAction(rule) {
	return rule && ERROR_ACTIONS.includes(rule.action);
}

// retryAfterHeader - Retry-After for a rule that has retry_after
function retryAfterHeader(rule) {
	return rule && rule.retry_after !== undefined ? { 'Retry-After': String(rule.retry_after) } : {};
}

// resetNow - the reset fault on a request whose body is not streamed to a
// file: read K bytes, then destroy the connection
function resetAfterBytes(req, k) {
	return new Promise((resolve) => {
		if (k === 0) { req.socket.destroy(); resolve(); return; }
		let n = 0;
		req.on('data', (d) => {
			n += d.length;
			if (n >= k) { req.socket.destroy(); resolve(); }
		});
		req.on('end', () => { req.socket.destroy(); resolve(); });
		req.on('close', resolve);
	});
}

// faultMethods - what every fake does with a matched fault rule, mixed into
// each fake's prototype (Object.assign). The fake supplies faultReply(res,
// rule), its provider-specific error answer.
const faultMethods = {
	// preFault - apply a fault that ends the request before its body is
	// used; true when the request has been answered (or its socket reset)
	async preFault(req, res, rule) {
		if (!rule) return false;
		if (isErrorAction(rule)) {
			await drain(req);
			this.faultReply(res, rule);
			return true;
		}
		if (rule.action === 'reset') {
			await resetAfterBytes(req, rule.bytes);
			return true;
		}
		if (rule.action === 'delay')
			await new Promise((resolve) => setTimeout(resolve, rule.ms));
		return false;
	},

	// reply - answer, unless the drop-response fault says to reset instead
	// (all the work is done: the ambiguous failure)
	reply(req, res, rule, fn) {
		if (rule && rule.action === 'drop-response') {
			req.socket.destroy();
			return;
		}
		fn();
	},
};

module.exports = { faultMethods, parseArgs, Auth, Faults, Stats, newId, sendJson, sendText, readBody, drain,
	receiveInto, hashFile, Staging, safeRel, splitExt, startServer, takeFault, isErrorAction,
	retryAfterHeader, resetAfterBytes, die };
