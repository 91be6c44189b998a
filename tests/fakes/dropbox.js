#!/usr/bin/env node
'use strict';
// dropbox.js - a fake of Dropbox API v2 upload sessions in an app folder:
// content endpoints files/upload_session/start, /append_v2, /finish (and
// files/upload) with the arguments in the Dropbox-API-Arg header and the
// bytes as an application/octet-stream body; offsets checked exactly
// (409 incorrect_offset with correct_offset); 150 MiB per request; commit
// mode add with autorename ("x (1).pdf") or overwrite; RPC endpoint
// files/get_metadata; FileMetadata with Dropbox's content_hash; Dropbox's
// error JSON (error_summary + tagged union); fault injection (common.js).
// Both the RPC and the content "hosts" are served on the one port.
//
// SYNOPSIS
//   node dropbox.js --port P --store DIR --tokens FILE [--tls-cert C --tls-key K]
//        [--introspect URL --introspect-client ID:SECRET] [--faults FILE]
// Prints "listening PORT" once ready. See README.md in this folder.

const path = require('path');
const crypto = require('crypto');
const c = require('./common');

const MAX_REQUEST = 150 * 1024 * 1024;
const CONTENT_TYPES = ['application/octet-stream', 'text/plain; charset=dropbox-cors-hack'];

// dbxError - {"error_summary": "a/b/..", "error": {...}} from a tag path
function dbxError(summary, error) {
	return { error_summary: `${summary}/..`, error };
}

// stamp - Dropbox's timestamp format (no fractional seconds)
function stamp(d) {
	return new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// modeTag - commit.mode as "add" | "overwrite" | "update" (string or union)
function modeTag(mode) {
	if (mode === undefined) return 'add';
	if (typeof mode === 'string') return mode;
	return mode && mode['.tag'];
}

class DropboxFake {
	constructor(opts) {
		this.opts = opts;
		this.name = 'dropbox';
		this.unsupportedFaults = ['403-rate'];
		this.items = new Map(); // lower-cased path (no leading /) -> file
		this.sessions = new Map();
		this.staging = new c.Staging(opts.store);
	}

	// badRequest - Dropbox answers malformed calls with 400 and plain text
	badRequest(res, route, why) {
		c.sendText(res, 400, `Error in call to API function "${route}": ${why}`);
	}

	unauthorized(res, tag) {
		c.sendJson(res, 401, dbxError(tag, { '.tag': tag }),
			{ 'WWW-Authenticate': 'Bearer error="invalid_token"' });
	}

	faultReply(res, rule) {
		const ra = c.retryAfterHeader(rule);
		if (rule.action === '401') return this.unauthorized(res, 'expired_access_token');
		if (rule.action === '429') {
			const after = rule.retry_after === undefined ? 1 : rule.retry_after;
			return c.sendJson(res, 429, dbxError('too_many_requests',
				{ reason: { '.tag': 'too_many_requests' }, retry_after: after }), { 'Retry-After': String(after) });
		}
		if (rule.action === '503') return c.sendText(res, 503, 'Service Unavailable', ra);
		if (rule.action === 'quota')
			return c.sendJson(res, 409, dbxError('path/insufficient_space', { '.tag': 'path', path: { '.tag': 'insufficient_space' } }));
		if (rule.action === 'gone') return c.sendJson(res, 409, dbxError('not_found', { '.tag': 'not_found' }));
		if (rule.action === 'bad-request') return this.badRequest(res, 'files', 'bad request (injected fault)');
		return c.sendText(res, 500, 'Internal Server Error', ra);
	}



	// fileMeta - FileMetadata (get_metadata adds ".tag": "file")
	fileMeta(f) {
		return { name: path.posix.basename(f.rel), path_lower: `/${f.rel.toLowerCase()}`,
			path_display: `/${f.rel}`, id: f.id, client_modified: f.clientModified,
			server_modified: f.serverModified, rev: f.rev, size: f.size, is_downloadable: true,
			content_hash: f.contentHash };
	}

	async handle(req, res, url) {
		const route = url.pathname.replace(/^\/2\//, '');
		const routes = { 'files/upload_session/start': 'start', 'files/upload_session/append_v2': 'append',
			'files/upload_session/finish': 'finish', 'files/upload': 'upload', 'files/get_metadata': 'getMetadata' };
		const fn = routes[route];
		if (!fn || !url.pathname.startsWith('/2/')) {
			await c.drain(req);
			return c.sendText(res, 404, `Unknown API function: "${route}"`);
		}
		if (req.method !== 'POST') {
			await c.drain(req);
			return c.sendText(res, 405, 'Request method not allowed; use POST');
		}
		const who = await this.auth.check(req);
		if (!who.ok) {
			await c.drain(req);
			return this.unauthorized(res, who.reason === 'missing' ? 'missing_token' : 'invalid_access_token');
		}
		if (fn === 'getMetadata') return this.getMetadata(req, res, route);
		return this.content(req, res, route, fn);
	}

	// contentArgs - Dropbox-API-Arg as an object; a string error otherwise
	static contentArgs(req) {
		const ct = (req.headers['content-type'] || '').toLowerCase().trim();
		if (!CONTENT_TYPES.includes(ct))
			return `Bad HTTP "Content-Type" header: "${req.headers['content-type'] || ''}".  Expecting one of "application/octet-stream", "text/plain; charset=dropbox-cors-hack".`;
		const raw = req.headers['dropbox-api-arg'];
		if (raw === undefined) return 'Must provide HTTP header "Dropbox-API-Arg" or URL parameter "arg".';
		try {
			const j = JSON.parse(raw);
			if (j === null || typeof j !== 'object' || Array.isArray(j)) return 'Dropbox-API-Arg must be a JSON object';
			return j;
		} catch (e) {
			return `Could not decode input as JSON: ${e.message}`;
		}
	}

	// content - start / append / finish / upload: checks common to all
	async content(req, res, route, fn) {
		const kinds = { start: ['create-session'], append: ['upload-chunk'], finish: ['finish'],
			upload: ['upload-chunk', 'finish'] }[fn];
		const rule = c.takeFault(this, kinds);
		if (await this.preFault(req, res, rule)) return;
		const args = DropboxFake.contentArgs(req);
		if (typeof args === 'string') {
			await c.drain(req);
			return this.badRequest(res, route, args);
		}
		const cl = req.headers['content-length'];
		if (cl !== undefined && Number(cl) > MAX_REQUEST) {
			// answered before the body arrives; the connection cannot be reused
			res.setHeader('Connection', 'close');
			c.sendJson(res, 409, dbxError('payload_too_large', { '.tag': 'payload_too_large' }));
			req.socket.end();
			return;
		}
		return this[fn](req, res, route, args, rule);
	}

	// receive - the body into a session at its current length, capped at
	// 150 MiB; {ok, persisted} or {ok: false} when the client went away
	async receive(req, s, rule) {
		const limit = rule && rule.action === 'partial' ? rule.bytes : undefined;
		const got = await c.receiveInto(req, s.st.fd, s.length, { stats: this.stats, persistLimit: limit });
		if (!got.complete) return { ok: false };
		if (got.received > MAX_REQUEST) return { ok: false, tooLarge: true };
		s.length += got.persisted;
		return { ok: true, partial: got.persisted < got.received };
	}

	// gone - true when receive() did not end well; answers payload_too_large
	// for a body (sent without Content-Length) over 150 MiB
	static gone(res, got) {
		if (got.ok) return false;
		if (got.tooLarge) c.sendJson(res, 409, dbxError('payload_too_large', { '.tag': 'payload_too_large' }));
		return true;
	}

	// newSession - an empty session with a staging file
	newSession(close) {
		const id = `pid_upload_session:${crypto.randomBytes(24).toString('base64url')}`;
		const s = { id, length: 0, closed: !!close, st: this.staging.open(crypto.randomBytes(12).toString('hex')),
			expiresAt: Date.now() + this.opts.sessionTtl * 1000 };
		this.sessions.set(id, s);
		this.stats.sessions_created++;
		return s;
	}

	// lookup - a session by cursor, or an error union (UploadSessionLookupError)
	lookup(cursor, withData) {
		if (!cursor || typeof cursor.session_id !== 'string' || !Number.isInteger(cursor.offset))
			return { bad: 'cursor: missing session_id or offset' };
		const s = this.sessions.get(cursor.session_id);
		if (!s || s.expiresAt < Date.now()) return { err: { '.tag': 'not_found' }, tag: 'not_found' };
		if (cursor.offset !== s.length)
			return { err: { '.tag': 'incorrect_offset', correct_offset: s.length }, tag: 'incorrect_offset' };
		if (s.closed && withData) return { err: { '.tag': 'closed' }, tag: 'closed' };
		return { s };
	}

	async start(req, res, route, args, rule) {
		const s = this.newSession(false);
		const got = await this.receive(req, s, rule);
		if (DropboxFake.gone(res, got)) return this.dropSession(s);
		s.closed = !!args.close;
		this.reply(req, res, rule, () => c.sendJson(res, 200, { session_id: s.id }));
	}

	async append(req, res, route, args, rule) {
		const cl = Number(req.headers['content-length'] || 0);
		const l = this.lookup(args.cursor, cl > 0);
		if (l.bad) { await c.drain(req); return this.badRequest(res, route, l.bad); }
		if (l.err) { await c.drain(req); return c.sendJson(res, 409, dbxError(l.tag, l.err)); }
		const got = await this.receive(req, l.s, rule);
		if (DropboxFake.gone(res, got)) return;
		if (args.close) l.s.closed = true;
		l.s.expiresAt = Math.max(l.s.expiresAt, Date.now());
		this.reply(req, res, rule, () => c.sendJson(res, 200, null));
	}

	// target - the store path for a commit, applying mode and autorename;
	// {rel, replace} or {err} (a WriteError)
	target(commit) {
		const p = commit && commit.path;
		if (typeof p !== 'string' || !/^\/./.test(p) || p.endsWith('/'))
			return { err: { '.tag': 'malformed_path' }, tag: 'malformed_path' };
		const rel = c.safeRel(p);
		if (!rel) return { err: { '.tag': 'malformed_path' }, tag: 'malformed_path' };
		const mode = modeTag(commit.mode);
		if (!['add', 'overwrite'].includes(mode)) return { bad: `commit.mode ${mode} is not supported by this fake` };
		const old = this.items.get(rel.toLowerCase());
		if (!old) return { rel };
		if (mode === 'overwrite') return { rel: old.rel, replace: old };
		if (!commit.autorename) return { err: { '.tag': 'conflict', conflict: { '.tag': 'file' } }, tag: 'conflict/file' };
		const dir = path.posix.dirname(rel);
		const [base, ext] = c.splitExt(path.posix.basename(rel));
		for (let n = 1; ; n++) {
			const cand = `${dir === '.' ? '' : `${dir}/`}${base} (${n})${ext}`;
			if (!this.items.has(cand.toLowerCase())) return { rel: cand };
		}
	}

	async finish(req, res, route, args, rule) {
		const cl = Number(req.headers['content-length'] || 0);
		const l = this.lookup(args.cursor, cl > 0);
		if (l.bad) { await c.drain(req); return this.badRequest(res, route, l.bad); }
		if (l.err) {
			await c.drain(req);
			return c.sendJson(res, 409, dbxError(`lookup_failed/${l.tag}`, { '.tag': 'lookup_failed', lookup_failed: l.err }));
		}
		const t = this.target(args.commit);
		if (t.bad) { await c.drain(req); return this.badRequest(res, route, t.bad); }
		const got = await this.receive(req, l.s, rule);
		if (DropboxFake.gone(res, got)) return;
		if (got.partial) {
			// Dropbox never commits part of a request: what arrived stays in
			// the session and the call fails as a server error would
			return this.reply(req, res, rule, () => c.sendText(res, 503, 'Service Unavailable'));
		}
		const t2 = this.target(args.commit); // again: another upload may have taken the name
		if (t2.err) {
			return this.reply(req, res, rule, () => c.sendJson(res, 409, dbxError(`path/${t2.tag}`,
				{ '.tag': 'path', path: t2.err })));
		}
		const f = await this.commit(l.s, t2, args.commit);
		this.reply(req, res, rule, () => c.sendJson(res, 200, this.fileMeta(f)));
	}

	// upload - files/upload: one request, up to 150 MiB
	async upload(req, res, route, args, rule) {
		const t = this.target(args);
		if (t.bad) { await c.drain(req); return this.badRequest(res, route, t.bad); }
		if (t.err) {
			await c.drain(req);
			return c.sendJson(res, 409, dbxError(`path/${t.tag}`, { reason: t.err, upload_session_id: '' }));
		}
		const s = this.newSession(false);
		this.stats.sessions_created--; // not a session the client sees
		const got = await this.receive(req, s, rule);
		if (DropboxFake.gone(res, got)) return this.dropSession(s);
		if (got.partial) { this.dropSession(s); return this.reply(req, res, rule, () => c.sendText(res, 503, 'Service Unavailable')); }
		const t2 = this.target(args); // again: another upload may have taken the name
		if (t2.err) {
			this.dropSession(s);
			return this.reply(req, res, rule, () => c.sendJson(res, 409, dbxError(`path/${t2.tag}`, { reason: t2.err, upload_session_id: '' })));
		}
		const f = await this.commit(s, t2, args);
		this.reply(req, res, rule, () => c.sendJson(res, 200, this.fileMeta(f)));
	}

	// commit - move the session's bytes into the store as a file
	async commit(s, t, commit) {
		// no await between choosing the name and recording it (see place)
		const dest = this.staging.place(s.st, this.opts.store, t.rel, s.length);
		this.sessions.delete(s.id); // a finished session is gone: not_found
		const now = stamp(Date.now());
		const f = t.replace || { id: `id:${crypto.randomBytes(16).toString('base64url')}`, rel: t.rel };
		Object.assign(f, { size: s.length, rev: crypto.randomBytes(8).toString('hex').slice(0, 15),
			serverModified: now, clientModified: commit.client_modified || now });
		this.items.set(f.rel.toLowerCase(), f);
		this.stats.completed_uploads++;
		const h = await c.hashFile(dest);
		Object.assign(f, { sha256: h.sha256, contentHash: h.content_hash });
		return f;
	}

	// getMetadata - RPC files/get_metadata {"path": "/x"} or "id:..."
	async getMetadata(req, res, route) {
		const rule = c.takeFault(this, ['lookup']);
		if (await this.preFault(req, res, rule)) return;
		const ct = (req.headers['content-type'] || '').toLowerCase();
		const body = await c.readBody(req, 1 << 20);
		if (!ct.startsWith('application/json'))
			return this.badRequest(res, route, `Bad HTTP "Content-Type" header: "${req.headers['content-type'] || ''}".  Expecting one of "application/json", "application/json; charset=utf-8", "text/plain; charset=dropbox-cors-hack".`);
		let j;
		try {
			j = JSON.parse(body.toString('utf8'));
		} catch (e) {
			return this.badRequest(res, route, 'request body: could not decode input as JSON');
		}
		const p = j && j.path;
		if (typeof p !== 'string') return this.badRequest(res, route, 'request body: missing required field \'path\'');
		if (p === '' || p === '/') return this.badRequest(res, route, 'request body: path: The root folder is unsupported.');
		const notFound = () => c.sendJson(res, 409, dbxError('path/not_found', { '.tag': 'path', path: { '.tag': 'not_found' } }));
		let f;
		if (p.startsWith('id:')) {
			f = [...this.items.values()].find((i) => i.id === p);
		} else {
			if (!p.startsWith('/')) return this.badRequest(res, route, `request body: path: '${p}' did not match pattern`);
			const rel = c.safeRel(p);
			if (!rel) return this.reply(req, res, rule, notFound);
			f = this.items.get(rel.toLowerCase());
			if (!f && [...this.items.keys()].some((k) => k.startsWith(`${rel.toLowerCase()}/`))) {
				return this.reply(req, res, rule, () => c.sendJson(res, 200, { '.tag': 'folder',
					name: path.posix.basename(rel), path_lower: `/${rel.toLowerCase()}`, path_display: `/${rel}`,
					id: `id:folder-${Buffer.from(rel.toLowerCase()).toString('base64url')}` }));
			}
		}
		if (!f) return this.reply(req, res, rule, notFound);
		this.reply(req, res, rule, () => c.sendJson(res, 200, { '.tag': 'file', ...this.fileMeta(f) }));
	}

	dropSession(s) {
		if (s.st.fd !== null) this.staging.discard(s.st);
		this.sessions.delete(s.id);
	}

	index() {
		return [...this.items.values()].map((f) => ({ id: f.id, name: path.posix.basename(f.rel),
			path: f.rel, size: f.size, sha256: f.sha256, content_hash: f.contentHash, rev: f.rev }));
	}

	expireSessions() {
		const n = this.sessions.size;
		for (const s of [...this.sessions.values()]) this.dropSession(s);
		return n;
	}
}

const opts = c.parseArgs(process.argv.slice(2));
Object.assign(DropboxFake.prototype, c.faultMethods);
c.startServer(opts, new DropboxFake(opts));
