#!/usr/bin/env node
'use strict';
// drive.js - a fake of the Google Drive v3 upload API, faithful where a
// client can tell: resumable sessions (initiate -> Location session URI,
// PUT chunks with Content-Range in multiples of 256 KiB, 308 + Range,
// status query "bytes */TOTAL", 404 for unknown/expired sessions, 200 +
// File when done), files.create for folders, files.list with the usual
// q conditions, files.get, drive.file visibility (a client sees only what
// it created), Google's error JSON, and fault injection (common.js).
//
// SYNOPSIS
//   node drive.js --port P --store DIR --tokens FILE [--tls-cert C --tls-key K]
//        [--introspect URL --introspect-client ID:SECRET] [--faults FILE]
// Prints "listening PORT" once ready. See README.md in this folder.

const path = require('path');
const fs = require('fs');
const c = require('./common');
const { parseQuery, parseFields, applyFields } = require('./drive-query');

const CHUNK_UNIT = 256 * 1024;
const ROOT_ID = '0AFakeMyDriveRootFolderUk9PVA';
const FOLDER_MIME = 'application/vnd.google-apps.folder';
const SESSION_PATH = '/upload/drive/v3/files';

// googleError - the v3 error body {"error":{"code","message","errors":[..]}}
function googleError(code, reason, message, extra) {
	const e = { domain: 'global', reason, message, ...(extra || {}) };
	return { error: { code, message, errors: [e] } };
}

class DriveFake {
	constructor(opts) {
		this.opts = opts;
		this.name = 'drive';
		this.files = new Map(); // id -> record (files and folders)
		this.sessions = new Map(); // upload_id -> session
		this.staging = new c.Staging(opts.store);
	}

	// fail - an error reply in Google's shape
	fail(res, code, reason, message, headers, extra) {
		c.sendJson(res, code, googleError(code, reason, message, extra), headers);
	}

	// unauthorized - 401 as Google sends it for a bad or expired token
	unauthorized(res) {
		this.fail(res, 401, 'authError',
			'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
			{ 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
			{ locationType: 'header', location: 'Authorization' });
	}

	// faultReply - the error answer of a 429/503/500/401 fault rule
	faultReply(res, rule) {
		const ra = c.retryAfterHeader(rule);
		if (rule.action === '401') return this.unauthorized(res);
		if (rule.action === '429') return this.fail(res, 429, 'rateLimitExceeded', 'Rate Limit Exceeded', ra, { domain: 'usageLimits' });
		if (rule.action === '503') return this.fail(res, 503, 'backendError', 'Backend Error', ra);
		if (rule.action === '403-rate') return this.fail(res, 403, 'userRateLimitExceeded', 'User Rate Limit Exceeded', ra, { domain: 'usageLimits' });
		if (rule.action === 'quota') return this.fail(res, 403, 'storageQuotaExceeded', 'The user\'s Drive storage quota has been exceeded.', {}, { domain: 'usageLimits' });
		if (rule.action === 'gone') return this.fail(res, 404, 'notFound', 'Not Found');
		if (rule.action === 'bad-request') return this.fail(res, 400, 'badRequest', 'Bad Request');
		return this.fail(res, 500, 'internalError', 'Internal Error', ra);
	}



	// visible - drive.file: a client sees the files it created
	visible(id, client) {
		if (id === 'root' || id === ROOT_ID) return { id: ROOT_ID, mimeType: FOLDER_MIME, name: 'My Drive', root: true };
		const f = this.files.get(id);
		return f && f.client === client ? f : null;
	}

	// fileJson - the full v3 File resource of a record
	fileJson(f) {
		const j = { kind: 'drive#file', id: f.id, name: f.name, mimeType: f.mimeType,
			parents: f.parents, trashed: !!f.trashed, createdTime: f.createdTime,
			modifiedTime: f.modifiedTime, version: String(f.version), starred: false,
			ownedByMe: true };
		if (f.appProperties) j.appProperties = f.appProperties;
		if (f.properties) j.properties = f.properties;
		if (f.description !== undefined) j.description = f.description;
		if (f.mimeType !== FOLDER_MIME) {
			// int64 fields are JSON strings in the Drive API
			j.size = String(f.size);
			j.md5Checksum = f.md5Checksum;
			j.sha256Checksum = f.sha256Checksum;
		}
		return j;
	}

	// shape - apply ?fields= (default: kind,id,name,mimeType as v3 does)
	shape(obj, fields, dflt) {
		return applyFields(obj, parseFields(fields || dflt));
	}

	// diskPath - store-relative folder path of a parent chain
	diskDir(parentId) {
		const parts = [];
		let id = parentId;
		for (let depth = 0; id && id !== ROOT_ID && depth < 64; depth++) {
			const f = this.files.get(id);
			if (!f) break;
			parts.unshift(f.diskName);
			id = f.parents[0];
		}
		return parts.join('/');
	}

	// diskName - a Drive name as one path component ("/" is legal in Drive)
	static diskName(name) {
		const n = String(name).replace(/\//g, '_').replace(/\0/g, '_');
		return n === '' || n === '.' || n === '..' ? `_${n}` : n;
	}

	// checkMeta - validate metadata (parents must be visible folders);
	// returns an error reply function or null, and normalizes parents
	checkMeta(meta, client) {
		if (meta.parents !== undefined && !Array.isArray(meta.parents))
			return (res) => this.fail(res, 400, 'invalid', 'Invalid value for parents');
		const parents = (meta.parents && meta.parents.length ? meta.parents : ['root']);
		if (parents.length > 1)
			return (res) => this.fail(res, 403, 'cannotAddParent', 'Increasing the number of parents is not allowed. A file can only have one parent.');
		const p = this.visible(parents[0], client);
		if (!p || p.trashed)
			return (res) => this.fail(res, 404, 'notFound', `File not found: ${parents[0]}.`, {}, { locationType: 'parameter', location: 'fileId' });
		if (p.mimeType !== FOLDER_MIME)
			return (res) => this.fail(res, 400, 'invalidParent', 'The specified parent is not a folder.');
		meta.parents = [p.id];
		for (const k of ['appProperties', 'properties']) {
			if (meta[k] !== undefined && (typeof meta[k] !== 'object' || Array.isArray(meta[k])))
				return (res) => this.fail(res, 400, 'invalid', `Invalid value for ${k}`);
		}
		return null;
	}

	// newRecord - a file or folder record from metadata
	newRecord(meta, client, mimeType) {
		const now = new Date().toISOString();
		const f = { id: c.newId(24), name: meta.name === undefined ? 'Untitled' : String(meta.name),
			mimeType, parents: meta.parents, client, createdTime: now, modifiedTime: now,
			version: 1, trashed: false, size: 0 };
		if (meta.appProperties) f.appProperties = { ...meta.appProperties };
		if (meta.properties) f.properties = { ...meta.properties };
		if (meta.description !== undefined) f.description = String(meta.description);
		f.diskName = DriveFake.diskName(f.name);
		return f;
	}

	// readMeta - the JSON metadata body of a request; null on bad JSON
	async readMeta(req) {
		const body = await c.readBody(req, 1 << 20);
		if (body === null) return null;
		if (body.length === 0) return {};
		try {
			const j = JSON.parse(body.toString('utf8'));
			return j && typeof j === 'object' && !Array.isArray(j) ? j : null;
		} catch (e) {
			return null;
		}
	}

	async handle(req, res, url) {
		const p = url.pathname;
		if (url.searchParams.has('fields')) {
			try {
				parseFields(url.searchParams.get('fields'));
			} catch (e) {
				await c.drain(req);
				return this.fail(res, 400, 'invalidParameter', `Invalid field selection ${url.searchParams.get('fields')}`, {},
					{ locationType: 'parameter', location: 'fields' });
			}
		}
		if (p === SESSION_PATH && url.searchParams.has('upload_id') && (req.method === 'PUT' || req.method === 'POST'))
			return this.sessionRequest(req, res, url);
		const who = await this.auth.check(req);
		if (!who.ok) {
			await c.drain(req);
			return this.unauthorized(res);
		}
		if (p === SESSION_PATH && req.method === 'POST') return this.initiate(req, res, url, who.client);
		if (p === '/drive/v3/files' && req.method === 'POST') return this.create(req, res, url, who.client);
		if (p === '/drive/v3/files' && req.method === 'GET') return this.list(req, res, url, who.client);
		const m = /^\/drive\/v3\/files\/([^/]+)$/.exec(p);
		if (m && req.method === 'GET') return this.get(req, res, url, who.client, decodeURIComponent(m[1]));
		if (m && req.method === 'PATCH') return this.update(req, res, url, who.client, decodeURIComponent(m[1]));
		if (m && req.method === 'DELETE') return this.remove(req, res, who.client, decodeURIComponent(m[1]));
		await c.drain(req);
		return this.fail(res, 404, 'notFound', `Not Found: ${req.method} ${p}`);
	}

	// initiate - POST /upload/drive/v3/files?uploadType=resumable
	async initiate(req, res, url, client) {
		const rule = c.takeFault(this, ['create-session']);
		if (await this.preFault(req, res, rule)) return;
		const type = url.searchParams.get('uploadType');
		if (type !== 'resumable') {
			await c.drain(req);
			return this.fail(res, 400, 'invalid', `uploadType ${type || '(none)'} is not supported by this fake (only resumable)`);
		}
		const lenHdr = req.headers['x-upload-content-length'];
		if (lenHdr !== undefined && !/^\d+$/.test(lenHdr)) {
			await c.drain(req);
			return this.fail(res, 400, 'invalid', 'Invalid X-Upload-Content-Length header');
		}
		const meta = await this.readMeta(req);
		if (meta === null) return this.fail(res, 400, 'parseError', 'Parse Error');
		const bad = this.checkMeta(meta, client);
		if (bad) return bad(res);
		const id = c.newId(48);
		const mime = meta.mimeType || req.headers['x-upload-content-type'] || 'application/octet-stream';
		this.sessions.set(id, { id, client, meta, mime, total: lenHdr === undefined ? null : Number(lenHdr),
			committed: 0, st: this.staging.open(id), done: null, fields: url.searchParams.get('fields'),
			expiresAt: Date.now() + this.opts.sessionTtl * 1000 });
		this.stats.sessions_created++;
		const loc = new URL(`${this.base}${SESSION_PATH}`);
		loc.searchParams.set('uploadType', 'resumable');
		if (url.searchParams.get('fields')) loc.searchParams.set('fields', url.searchParams.get('fields'));
		loc.searchParams.set('upload_id', id);
		this.reply(req, res, rule, () => {
			res.writeHead(200, { Location: loc.toString(), 'X-GUploader-UploadID': id, 'Content-Length': 0 });
			res.end();
		});
	}

	// parseRange - Content-Range of a session request:
	// {status: true, total} for "bytes */T", {first, last, total} for
	// "bytes a-b/T"; total is null for "*"; null when malformed
	static parseRange(h) {
		if (h === undefined) return undefined;
		let m = /^bytes \*\/(\d+|\*)$/.exec(h.trim());
		if (m) return { status: true, total: m[1] === '*' ? null : Number(m[1]) };
		m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(h.trim());
		if (!m) return null;
		const r = { first: Number(m[1]), last: Number(m[2]), total: m[3] === '*' ? null : Number(m[3]) };
		return r.last < r.first ? null : r;
	}

	// rangeHeaders - 308's Range header: absent when nothing is stored
	static rangeHeaders(s) {
		return s.committed > 0 ? { Range: `bytes=0-${s.committed - 1}` } : {};
	}

	// sessionRequest - PUT (or POST) to a session URI: a chunk, or a status query
	async sessionRequest(req, res, url) {
		const s = this.sessions.get(url.searchParams.get('upload_id'));
		if (!s || s.expiresAt < Date.now()) {
			if (s) this.dropSession(s);
			await c.drain(req);
			return this.fail(res, 404, 'notFound', 'Upload session not found or expired. Start a new upload.');
		}
		// the session URI is the credential; a token, if sent, must be good
		if (req.headers.authorization !== undefined) {
			const who = await this.auth.check(req);
			if (!who.ok) {
				await c.drain(req);
				return this.unauthorized(res);
			}
		}
		const cl = req.headers['content-length'];
		let r = DriveFake.parseRange(req.headers['content-range']);
		if (r === undefined) { // no Content-Range: the whole file in one request
			r = cl !== undefined && Number(cl) > 0 ? { first: 0, last: Number(cl) - 1, total: Number(cl) }
				: { status: true, total: cl !== undefined ? 0 : null };
		}
		const isStatus = r && r.status;
		const total = r ? (r.total !== null ? r.total : s.total) : null;
		const final = r && !isStatus && total !== null && r.last + 1 === total;
		const kinds = isStatus ? ['status'] : (final ? ['upload-chunk', 'finish'] : ['upload-chunk']);
		const rule = c.takeFault(this, kinds);
		// a chunk cut by the reset fault goes through receiveInto below, so
		// it is treated like any other cut request
		const cutChunk = rule && rule.action === 'reset' && !isStatus && !s.done;
		if (!cutChunk && await this.preFault(req, res, rule)) return;
		const fields = url.searchParams.get('fields') || s.fields;
		if (s.done) { // finished already: Google answers with the File again
			await c.drain(req);
			return this.reply(req, res, rule, () => c.sendJson(res, 200, this.shape(this.fileJson(this.files.get(s.done)), fields, 'kind,id,name,mimeType')));
		}
		const bad = this.checkChunk(s, r, cl);
		if (bad) {
			await c.drain(req);
			return this.fail(res, 400, 'badRequest', bad);
		}
		if (r.total !== null) s.total = r.total;
		s.expiresAt = Math.max(s.expiresAt, Date.now()); // activity keeps it alive
		if (!isStatus) {
			const got = await c.receiveInto(req, s.st.fd, r.first, { stats: this.stats,
				persistLimit: rule && rule.action === 'partial' ? rule.bytes : undefined,
				resetAfter: cutChunk ? rule.bytes : undefined });
			if (!got.complete) {
				// connection gone: like Google, keep what arrived in whole
				// 256 KiB units (the client learns it from the next 308)
				const kept = Math.floor(got.persisted / CHUNK_UNIT) * CHUNK_UNIT;
				s.committed = Math.max(s.committed, r.first + kept);
				return;
			}
			s.committed = Math.max(s.committed, r.first + got.persisted);
		} else {
			await c.drain(req);
		}
		if (s.total !== null && s.committed === s.total) {
			const f = await this.finish(s);
			return this.reply(req, res, rule, () => c.sendJson(res, 200, this.shape(this.fileJson(f), fields, 'kind,id,name,mimeType')));
		}
		this.reply(req, res, rule, () => {
			res.writeHead(308, 'Resume Incomplete', { ...DriveFake.rangeHeaders(s), 'Content-Length': 0,
				'X-GUploader-UploadID': s.id });
			res.end();
		});
	}

	// checkChunk - the Content-Range rules; an error message or null
	checkChunk(s, r, cl) {
		if (r === null) return 'Invalid Content-Range header';
		if (r.total !== null && s.total !== null && r.total !== s.total)
			return `Invalid request. The total size ${r.total} in Content-Range does not match the size ${s.total} given earlier.`;
		if (r.status) {
			if (cl !== undefined && Number(cl) !== 0) return 'A status query (bytes */N) must have an empty body';
			if (r.total !== null && r.total < s.committed) return `Invalid request. Total size ${r.total} is less than the ${s.committed} bytes already uploaded.`;
			return null;
		}
		const len = r.last - r.first + 1;
		if (cl === undefined) return 'Content-Length is required for an upload chunk';
		if (Number(cl) !== len)
			return `Invalid request. Content-Range says ${len} byte(s) but the request contained ${cl} byte(s).`;
		const total = r.total !== null ? r.total : s.total;
		if (total !== null && r.last >= total) return `Invalid request. Content-Range ends at ${r.last}, beyond the total size ${total}.`;
		if (r.first > s.committed)
			return `Invalid request. According to the Content-Range header, the upload offset is ${r.first} byte(s), which exceeds already uploaded size of ${s.committed} byte(s).`;
		const final = total !== null && r.last + 1 === total;
		if (!final && len % CHUNK_UNIT !== 0)
			return `Invalid request. The number of bytes uploaded is required to be a multiple of ${CHUNK_UNIT} bytes, except for the final request. The received request contained ${len} bytes.`;
		return null;
	}

	// finish - the upload is whole: move it into the store, make the File
	async finish(s) {
		if (s.finishing) return s.finishing;
		s.finishing = (async () => {
			const f = this.newRecord(s.meta, s.client, s.mime);
			const dir = this.diskDir(f.parents[0]);
			let rel = dir ? `${dir}/${f.diskName}` : f.diskName;
			// Drive allows duplicate names; on disk the later one gets ~ID
			if (fs.existsSync(path.join(this.opts.store, rel))) rel = `${rel}~${f.id}`;
			const dest = this.staging.place(s.st, this.opts.store, rel, s.total);
			Object.assign(f, { rel, size: s.total });
			this.files.set(f.id, f);
			s.done = f.id;
			this.stats.completed_uploads++;
			const h = await c.hashFile(dest);
			Object.assign(f, { md5Checksum: h.md5, sha256Checksum: h.sha256 });
			return f;
		})();
		return s.finishing;
	}

	// dropSession - forget a session and its staging file
	dropSession(s) {
		if (!s.done && s.st.fd !== null) this.staging.discard(s.st);
		this.sessions.delete(s.id);
	}

	// create - POST /drive/v3/files: metadata only (folders)
	async create(req, res, url, client) {
		const rule = c.takeFault(this, ['create-session']);
		if (await this.preFault(req, res, rule)) return;
		const meta = await this.readMeta(req);
		if (meta === null) return this.fail(res, 400, 'parseError', 'Parse Error');
		const bad = this.checkMeta(meta, client);
		if (bad) return bad(res);
		const f = this.newRecord(meta, client, meta.mimeType || 'application/octet-stream');
		const dir = this.diskDir(f.parents[0]);
		f.rel = dir ? `${dir}/${f.diskName}` : f.diskName;
		if (f.mimeType === FOLDER_MIME) {
			fs.mkdirSync(path.join(this.opts.store, f.rel), { recursive: true });
		} else {
			if (fs.existsSync(path.join(this.opts.store, f.rel))) f.rel = `${f.rel}~${f.id}`;
			fs.writeFileSync(path.join(this.opts.store, f.rel), '');
			Object.assign(f, { md5Checksum: 'd41d8cd98f00b204e9800998ecf8427e',
				sha256Checksum: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' });
		}
		this.files.set(f.id, f);
		this.reply(req, res, rule, () => c.sendJson(res, 200, this.shape(this.fileJson(f), url.searchParams.get('fields'), 'kind,id,name,mimeType')));
	}

	// list - GET /drive/v3/files?q=...
	async list(req, res, url, client) {
		const rule = c.takeFault(this, ['lookup']);
		if (await this.preFault(req, res, rule)) return;
		await c.drain(req);
		let pred = () => true;
		const q = url.searchParams.get('q');
		if (q) {
			try {
				pred = parseQuery(q);
			} catch (e) {
				return this.fail(res, 400, 'invalid', `Invalid Value (${e.message})`, {}, { locationType: 'parameter', location: 'q' });
			}
		}
		const size = Number(url.searchParams.get('pageSize') || 100);
		if (!Number.isInteger(size) || size < 1 || size > 1000)
			return this.fail(res, 400, 'invalid', 'Invalid Value', {}, { locationType: 'parameter', location: 'pageSize' });
		const start = Number(url.searchParams.get('pageToken') || 0);
		const hits = [...this.files.values()].filter((f) => f.client === client && pred({
			...f, parents: f.parents.includes(ROOT_ID) ? [...f.parents, 'root'] : f.parents }));
		const page = hits.slice(start, start + size);
		const out = { kind: 'drive#fileList', incompleteSearch: false, files: page.map((f) => this.fileJson(f)) };
		if (start + size < hits.length) out.nextPageToken = String(start + size);
		let shaped;
		try {
			shaped = this.shape(out, url.searchParams.get('fields'), 'kind,incompleteSearch,nextPageToken,files(kind,id,name,mimeType)');
		} catch (e) {
			return this.fail(res, 400, 'invalidParameter', `Invalid field selection ${url.searchParams.get('fields')}`);
		}
		this.reply(req, res, rule, () => c.sendJson(res, 200, shaped));
	}

	// get - GET /drive/v3/files/ID
	async get(req, res, url, client, id) {
		const rule = c.takeFault(this, ['lookup']);
		if (await this.preFault(req, res, rule)) return;
		await c.drain(req);
		const f = this.visible(id, client);
		if (!f || f.root && id !== 'root' && id !== ROOT_ID)
			return this.fail(res, 404, 'notFound', `File not found: ${id}.`, {}, { locationType: 'parameter', location: 'fileId' });
		if (f.root) return c.sendJson(res, 200, { kind: 'drive#file', id: ROOT_ID, name: 'My Drive', mimeType: FOLDER_MIME });
		if (url.searchParams.get('alt') === 'media') {
			const data = fs.readFileSync(path.join(this.opts.store, f.rel));
			return this.reply(req, res, rule, () => {
				res.writeHead(200, { 'Content-Type': f.mimeType, 'Content-Length': data.length });
				res.end(data);
			});
		}
		this.reply(req, res, rule, () => c.sendJson(res, 200, this.shape(this.fileJson(f), url.searchParams.get('fields'), 'kind,id,name,mimeType')));
	}

	// update - PATCH /drive/v3/files/ID: name, trashed, appProperties
	async update(req, res, url, client, id) {
		const meta = await this.readMeta(req);
		if (meta === null) return this.fail(res, 400, 'parseError', 'Parse Error');
		const f = this.files.get(id);
		if (!f || f.client !== client) return this.fail(res, 404, 'notFound', `File not found: ${id}.`);
		if (meta.name !== undefined) f.name = String(meta.name);
		if (meta.trashed !== undefined) f.trashed = !!meta.trashed;
		if (meta.appProperties) f.appProperties = { ...(f.appProperties || {}), ...meta.appProperties };
		f.version++;
		f.modifiedTime = new Date().toISOString();
		c.sendJson(res, 200, this.shape(this.fileJson(f), url.searchParams.get('fields'), 'kind,id,name,mimeType'));
	}

	// remove - DELETE /drive/v3/files/ID (and, for a folder, what is in it)
	async remove(req, res, client, id) {
		await c.drain(req);
		const f = this.files.get(id);
		if (!f || f.client !== client) return this.fail(res, 404, 'notFound', `File not found: ${id}.`);
		const doomed = [id];
		for (let i = 0; i < doomed.length; i++) {
			for (const g of this.files.values()) if (g.parents.includes(doomed[i])) doomed.push(g.id);
		}
		for (const d of doomed) this.files.delete(d);
		fs.rmSync(path.join(this.opts.store, f.rel), { recursive: true, force: true });
		res.writeHead(204);
		res.end();
	}

	// control - POST /__fake/seed: a file or folder made by another client
	// (or by this one), to test drive.file visibility
	async control(req, res, url) {
		if (req.method !== 'POST' || url.pathname !== '/__fake/seed') return false;
		const meta = await this.readMeta(req);
		if (meta === null) { c.sendJson(res, 400, { error: 'bad JSON' }); return true; }
		const client = meta.client || 'someone-else';
		meta.parents = meta.parents && meta.parents.length ? meta.parents : [ROOT_ID];
		const f = this.newRecord(meta, client, meta.mimeType || FOLDER_MIME);
		f.rel = `.seeded/${f.id}`;
		this.files.set(f.id, f);
		c.sendJson(res, 200, this.fileJson(f));
		return true;
	}

	// index - GET /__fake/files
	index() {
		return [...this.files.values()].map((f) => ({ id: f.id, name: f.name, path: f.rel,
			mimeType: f.mimeType, parents: f.parents, size: f.size, md5: f.md5Checksum,
			sha256: f.sha256Checksum, appProperties: f.appProperties || {}, trashed: f.trashed,
			client: f.client }));
	}

	// expireSessions - POST /__fake/expire-sessions: every open session 404s
	expireSessions() {
		let n = 0;
		for (const s of [...this.sessions.values()]) {
			if (!s.done) n++;
			this.dropSession(s);
		}
		return n;
	}
}

const opts = c.parseArgs(process.argv.slice(2));
Object.assign(DriveFake.prototype, c.faultMethods);
c.startServer(opts, new DriveFake(opts));
