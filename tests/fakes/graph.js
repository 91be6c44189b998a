#!/usr/bin/env node
'use strict';
// graph.js - a fake of Microsoft Graph's OneDrive upload sessions in the
// app folder: createUploadSession on special/approot (conflictBehavior
// rename | fail | replace), a pre-authenticated uploadUrl (a PUT carrying
// Authorization gets 401), fragments with Content-Range in order and in
// multiples of 320 KiB except the last (overlap and gaps -> 416), 202 +
// nextExpectedRanges, 201 + driveItem on the last byte, GET uploadUrl for
// status, DELETE to cancel, GET approot:/name for the item, Graph's error
// JSON, and fault injection (common.js).
//
// --mode consumer: items report only file.hashes.quickXorHash, as consumer
// (personal) OneDrive does; otherwise sha256Hash and quickXorHash, as
// OneDrive for Business does.
//
// SYNOPSIS
//   node graph.js --port P --store DIR --tokens FILE [--tls-cert C --tls-key K]
//        [--introspect URL --introspect-client ID:SECRET] [--faults FILE]
//        [--mode consumer]
// Prints "listening PORT" once ready. See README.md in this folder.

const path = require('path');
const fs = require('fs');
const crypto = require('crypto');
const c = require('./common');
const { quickXorFile } = require('./quickxor');

const FRAGMENT_UNIT = 320 * 1024;
const MAX_FRAGMENT = 60 * 1024 * 1024;
const DRIVE_ID = 'b!fakeDriveId0123456789';
const APPROOT_ID = '01FAKEAPPROOTFOLDER0000000000000000';
const APP_NAME = 'cloudspool';

// graphError - {"error":{"code","message"[,"innerError":{"code"}]}}
function graphError(code, message, inner) {
	const e = { code, message };
	if (inner) e.innerError = { code: inner, date: new Date().toISOString(), 'request-id': crypto.randomUUID() };
	return { error: e };
}

// mimeOf - the file facet's mimeType from the name's extension
function mimeOf(name) {
	const ext = path.extname(name).toLowerCase();
	return { '.pdf': 'application/pdf', '.tif': 'image/tiff', '.tiff': 'image/tiff',
		'.jpg': 'image/jpeg', '.png': 'image/png', '.txt': 'text/plain' }[ext] || 'application/octet-stream';
}

class GraphFake {
	constructor(opts) {
		this.opts = opts;
		this.name = 'graph';
		this.unsupportedFaults = ['403-rate'];
		this.items = new Map(); // lower-cased store path -> item (names are case-insensitive)
		this.sessions = new Map();
		this.staging = new c.Staging(opts.store);
	}

	fail(res, status, code, message, inner, headers) {
		c.sendJson(res, status, graphError(code, message, inner), headers);
	}

	unauthorized(res) {
		this.fail(res, 401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.', null,
			{ 'WWW-Authenticate': 'Bearer error="invalid_token", error_description="The access token is invalid"' });
	}

	faultReply(res, rule) {
		const ra = c.retryAfterHeader(rule);
		if (rule.action === '401') return this.unauthorized(res);
		if (rule.action === '429') return this.fail(res, 429, 'activityLimitReached', 'The request has been throttled', 'throttledRequest', ra);
		if (rule.action === '503') return this.fail(res, 503, 'serviceNotAvailable', 'The service is not available. Try the request again after a delay.', null, ra);
		if (rule.action === 'quota') return this.fail(res, 507, 'quotaLimitReached', 'Insufficient Space Available');
		if (rule.action === 'gone') return this.fail(res, 404, 'itemNotFound', 'The resource could not be found.');
		if (rule.action === 'bad-request') return this.fail(res, 400, 'invalidRequest', 'Invalid request');
		return this.fail(res, 500, 'generalException', 'An unspecified error has occurred.', null, ra);
	}



	// itemJson - the driveItem of a stored file
	itemJson(it) {
		return { '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#drives('${DRIVE_ID}')/items/$entity`,
			id: it.id, name: it.name, size: it.size, eTag: `"{${it.id}},${it.version}"`,
			cTag: `"c:{${it.id}},${it.version}"`, createdDateTime: it.created,
			lastModifiedDateTime: it.modified, webUrl: `https://onedrive.example/${encodeURIComponent(it.rel)}`,
			file: { mimeType: mimeOf(it.name), hashes: this.opts.mode === 'consumer'
				? { quickXorHash: it.quickXor }
				: { sha256Hash: it.sha256.toUpperCase(), quickXorHash: it.quickXor } },
			fileSystemInfo: { createdDateTime: it.created, lastModifiedDateTime: it.modified },
			parentReference: { driveType: 'personal', driveId: DRIVE_ID,
				id: APPROOT_ID, path: `/drive/root:/Apps/${APP_NAME}${path.posix.dirname(`/${it.rel}`).replace(/^\/$/, '')}` } };
	}

	approotJson() {
		return { id: APPROOT_ID, name: APP_NAME, folder: { childCount: this.items.size },
			parentReference: { driveType: 'personal', driveId: DRIVE_ID, path: '/drive/root:/Apps' },
			specialFolder: { name: 'approot' } };
	}

	// sessionJson - the uploadSession resource
	static sessionJson(s) {
		return { expirationDateTime: new Date(s.expiresAt).toISOString(),
			nextExpectedRanges: [`${s.committed}-`] };
	}

	async handle(req, res, url) {
		const p = url.pathname.replace(/^\/v1\.0(?=\/)/, '');
		const up = /^\/up\/([A-Za-z0-9_-]+)$/.exec(p);
		if (up) return this.uploadUrl(req, res, up[1]);
		const who = await this.auth.check(req);
		if (!who.ok) {
			await c.drain(req);
			return this.unauthorized(res);
		}
		const create = /^\/me\/drive\/special\/approot:\/(.+):\/createUploadSession$/.exec(p);
		if (create && req.method === 'POST') return this.createSession(req, res, url, create[1]);
		const byPath = /^\/me\/drive\/special\/approot:\/(.+?):?$/.exec(p);
		if (byPath && req.method === 'GET') return this.getByPath(req, res, byPath[1]);
		if (p === '/me/drive/special/approot' && req.method === 'GET') {
			await c.drain(req);
			return c.sendJson(res, 200, this.approotJson());
		}
		const byId = /^\/me\/drive\/items\/([^/]+)$/.exec(p);
		if (byId && req.method === 'GET') {
			await c.drain(req);
			const it = [...this.items.values()].find((i) => i.id === byId[1]);
			if (!it) return this.fail(res, 404, 'itemNotFound', 'The resource could not be found.');
			return c.sendJson(res, 200, this.itemJson(it));
		}
		await c.drain(req);
		return this.fail(res, 400, 'invalidRequest', `Invalid request: ${req.method} ${url.pathname} is not known to this fake`);
	}

	// relOf - the store path of an approot-relative path from the URL
	static relOf(raw) {
		let dec;
		try {
			dec = raw.split('/').map(decodeURIComponent).join('/');
		} catch (e) {
			return null;
		}
		if (/[\\:*?"<>|]/.test(dec)) return null; // OneDrive forbids these in names
		return c.safeRel(dec);
	}

	// createSession - POST approot:/NAME:/createUploadSession
	async createSession(req, res, url, rawName) {
		const rule = c.takeFault(this, ['create-session']);
		if (await this.preFault(req, res, rule)) return;
		const body = await c.readBody(req, 1 << 20);
		let j = {};
		try {
			if (body && body.length) j = JSON.parse(body.toString('utf8'));
		} catch (e) {
			return this.fail(res, 400, 'invalidRequest', 'Unable to read JSON request payload.');
		}
		const rel = GraphFake.relOf(rawName);
		if (!rel) return this.fail(res, 400, 'invalidRequest', 'The provided name contains invalid characters.');
		const item = (j && j.item) || {};
		const behavior = item['@microsoft.graph.conflictBehavior'] ||
			url.searchParams.get('@microsoft.graph.conflictBehavior') || 'replace';
		if (!['rename', 'fail', 'replace'].includes(behavior))
			return this.fail(res, 400, 'invalidRequest', `Invalid conflictBehavior ${behavior}`);
		if (item.name !== undefined && item.name !== path.posix.basename(rel))
			return this.fail(res, 400, 'invalidRequest', 'The name in the body does not match the name in the path.');
		if (behavior === 'fail' && this.items.has(rel.toLowerCase()))
			return this.fail(res, 409, 'nameAlreadyExists', 'The specified item name already exists.');
		const id = c.newId(40);
		const s = { id, rel, behavior, total: null, committed: 0, st: this.staging.open(id),
			expiresAt: Date.now() + this.opts.sessionTtl * 1000 };
		this.sessions.set(id, s);
		this.stats.sessions_created++;
		this.reply(req, res, rule, () => c.sendJson(res, 200, {
			'@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.uploadSession',
			uploadUrl: `${this.base}/up/${id}`, ...GraphFake.sessionJson(s) }));
	}

	// getByPath - GET approot:/NAME (with or without the trailing colon)
	async getByPath(req, res, rawName) {
		const rule = c.takeFault(this, ['lookup']);
		if (await this.preFault(req, res, rule)) return;
		await c.drain(req);
		const rel = GraphFake.relOf(rawName);
		const it = rel && this.items.get(rel.toLowerCase());
		if (!it) return this.reply(req, res, rule, () => this.fail(res, 404, 'itemNotFound', 'The resource could not be found.'));
		this.reply(req, res, rule, () => c.sendJson(res, 200, this.itemJson(it)));
	}

	// uploadUrl - PUT a fragment, GET status, DELETE cancel
	async uploadUrl(req, res, id) {
		const s = this.sessions.get(id);
		if (s && s.expiresAt < Date.now()) this.dropSession(s);
		if (!s || !this.sessions.has(id)) {
			await c.drain(req);
			return this.fail(res, 404, 'itemNotFound', 'The upload session was not found or has expired.');
		}
		// pre-authenticated: a bearer token here is an error (docs: "may result in 401")
		if (req.headers.authorization !== undefined) {
			await c.drain(req);
			return this.fail(res, 401, 'unauthenticated', 'The upload URL is pre-authenticated: do not send an Authorization header.');
		}
		if (req.method === 'GET') {
			const rule = c.takeFault(this, ['status']);
			if (await this.preFault(req, res, rule)) return;
			await c.drain(req);
			return this.reply(req, res, rule, () => c.sendJson(res, 200, GraphFake.sessionJson(s)));
		}
		if (req.method === 'DELETE') {
			await c.drain(req);
			this.dropSession(s);
			res.writeHead(204);
			return res.end();
		}
		if (req.method !== 'PUT') {
			await c.drain(req);
			return this.fail(res, 405, 'invalidRequest', `${req.method} is not allowed on an upload URL`);
		}
		return this.putFragment(req, res, s);
	}

	// checkFragment - the fragment rules; [status, code, message, inner] or null
	checkFragment(s, r, cl) {
		if (cl === undefined) return [411, 'lengthRequired', 'Content-Length is required.', null];
		if (!r) return [400, 'invalidRange', 'Content-Range header is missing or malformed (bytes a-b/total).', null];
		const len = r.last - r.first + 1;
		if (Number(cl) !== len) return [400, 'invalidRange', `Content-Range declares ${len} bytes but Content-Length is ${cl}.`, 'fragmentLengthMismatch'];
		if (s.total !== null && r.total !== s.total) return [400, 'invalidRange', `The total size ${r.total} differs from the ${s.total} declared earlier.`, 'fragmentLengthMismatch'];
		if (r.last >= r.total) return [416, 'invalidRange', `Content-Range ends at ${r.last}, beyond the total size ${r.total}.`, null];
		if (len > MAX_FRAGMENT) return [413, 'invalidRange', `A fragment may be at most ${MAX_FRAGMENT} bytes.`, 'maxFragmentLengthExceeded'];
		if (r.first < s.committed) return [416, 'invalidRange', 'The uploaded fragment overlaps with data that has already been received.', 'fragmentOverlap'];
		if (r.first > s.committed) return [416, 'invalidRange', `Fragment starts at ${r.first}; expected ${s.committed}. Fragments must be uploaded in order.`, 'fragmentOutOfOrder'];
		if (r.last + 1 < r.total && len % FRAGMENT_UNIT !== 0)
			return [400, 'invalidRange', `Fragment size ${len} is not a multiple of 320 KiB (${FRAGMENT_UNIT} bytes).`, 'fragmentLengthMismatch'];
		return null;
	}

	// putFragment - one byte range of the file
	async putFragment(req, res, s) {
		const cl = req.headers['content-length'];
		const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec((req.headers['content-range'] || '').trim());
		const r = m && Number(m[2]) >= Number(m[1]) ? { first: Number(m[1]), last: Number(m[2]), total: Number(m[3]) } : null;
		const final = r && r.last + 1 === r.total;
		const rule = c.takeFault(this, final ? ['upload-chunk', 'finish'] : ['upload-chunk']);
		if (await this.preFault(req, res, rule)) return;
		const bad = this.checkFragment(s, r, cl);
		if (bad) {
			await c.drain(req);
			return this.fail(res, bad[0], bad[1], bad[2], bad[3]);
		}
		s.total = r.total;
		const got = await c.receiveInto(req, s.st.fd, r.first, { stats: this.stats,
			persistLimit: rule && rule.action === 'partial' ? rule.bytes : undefined });
		if (!got.complete) return; // "all bytes in that request are ignored"
		s.committed = r.first + got.persisted;
		s.expiresAt = Date.now() + this.opts.sessionTtl * 1000; // each fragment extends it
		if (s.committed < s.total)
			return this.reply(req, res, rule, () => c.sendJson(res, 202, GraphFake.sessionJson(s)));
		const it = await this.commit(s);
		if (!it) return this.reply(req, res, rule, () => this.fail(res, 409, 'upload_name_conflict',
			'Another file exists with the same name as the uploaded session. You can redirect the upload session to use a new filename by calling PUT with the new metadata and @microsoft.graph.sourceUrl attribute.'));
		this.reply(req, res, rule, () => c.sendJson(res, 201, this.itemJson(it)));
	}

	// freeName - "x.pdf" -> "x 1.pdf", "x 2.pdf", ... (OneDrive's rename)
	freeName(rel) {
		const dir = path.posix.dirname(rel);
		const [base, ext] = c.splitExt(path.posix.basename(rel));
		for (let n = 1; ; n++) {
			const cand = `${dir === '.' ? '' : `${dir}/`}${base} ${n}${ext}`;
			if (!this.items.has(cand.toLowerCase())) return cand;
		}
	}

	// commit - the last byte arrived: apply conflictBehavior, store; null on
	// a "fail" conflict (the session stays, as the docs say)
	async commit(s) {
		let rel = s.rel;
		const old = this.items.get(rel.toLowerCase());
		if (old && s.behavior === 'fail') return null;
		if (old && s.behavior === 'rename') rel = this.freeName(rel);
		if (old && s.behavior === 'replace') rel = old.rel;
		// no await between choosing the name and recording it (see place)
		const dest = this.staging.place(s.st, this.opts.store, rel, s.total);
		const now = new Date().toISOString();
		const it = old && s.behavior === 'replace'
			? Object.assign(old, { size: s.total, modified: now, version: old.version + 1 })
			: { id: `01${crypto.randomBytes(16).toString('hex').toUpperCase()}`, name: path.posix.basename(rel),
				rel, size: s.total, created: now, modified: now, version: 1 };
		this.items.set(rel.toLowerCase(), it);
		this.sessions.delete(s.id); // the uploadUrl 404s from now on
		this.stats.completed_uploads++;
		it.sha256 = (await c.hashFile(dest)).sha256;
		it.quickXor = await quickXorFile(dest);
		return it;
	}

	dropSession(s) {
		if (s.st.fd !== null) this.staging.discard(s.st);
		this.sessions.delete(s.id);
	}

	index() {
		return [...this.items.values()].map((it) => ({ id: it.id, name: it.name, path: it.rel,
			size: it.size, sha256: it.sha256, quickXorHash: it.quickXor, version: it.version }));
	}

	expireSessions() {
		const n = this.sessions.size;
		for (const s of [...this.sessions.values()]) this.dropSession(s);
		return n;
	}
}

// make sure the store is usable before listening
const opts = c.parseArgs(process.argv.slice(2));
if (opts.mode !== null && opts.mode !== 'consumer') c.die('--mode must be consumer');
fs.accessSync(opts.store, fs.constants.W_OK);
Object.assign(GraphFake.prototype, c.faultMethods);
c.startServer(opts, new GraphFake(opts));
