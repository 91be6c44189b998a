'use strict';
// nextcloud.js - a fake of Nextcloud's WebDAV endpoint: the files tree
// (/remote.php/dav/files/USER/...) as a plain WebDAV server (PUT, GET,
// HEAD, MKCOL, PROPFIND, MOVE, DELETE) and chunked upload v2
// (/remote.php/dav/uploads/USER/ID: MKCOL, PUT chunks 1..10000, PROPFIND,
// MOVE .file to assemble, DELETE to abort). HTTP Basic auth with app
// passwords from the --tokens file ("LOGIN APPPASSWORD" per line).
//
// Node built-ins only; the CLI, TLS, faults, counters and /__fake/ routes
// come from common.js. Files land in STORE/USER/PATH (cmp-able); chunks
// live in STORE/.staging until assembled.

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const c = require('./common');

const MIN_CHUNK = 5 * 1024 * 1024;		// "between 5MB and 5GB" (MiB: S3's part floor)
const MAX_CHUNK = 5 * 1024 * 1024 * 1024;
const MAX_CHUNKS = 10000;
const UPLOAD_TTL = 24 * 3600;			// "expire the upload directory after 24 hours of inactivity"
const FILES = '/remote.php/dav/files/';
const UPLOADS = '/remote.php/dav/uploads/';

// sabreError - the XML body Nextcloud (SabreDAV) sends with an error
function sabreError(res, status, exception, message, headers) {
	const body = '<?xml version="1.0" encoding="utf-8"?>\n' +
		'<d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns">\n' +
		`  <s:exception>Sabre\\DAV\\Exception\\${exception}</s:exception>\n` +
		`  <s:message>${xmlEscape(message)}</s:message>\n</d:error>\n`;
	res.writeHead(status, { 'Content-Type': 'application/xml; charset=utf-8',
		'Content-Length': Buffer.byteLength(body), ...(headers || {}) });
	res.end(body);
}

function xmlEscape(s) {
	return String(s).replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;',
		'"': '&quot;', "'": '&apos;' }[ch]));
}

// hrefOf - a URL path with each segment percent-encoded
function hrefOf(prefix, rel, isDir) {
	const enc = rel === '' ? '' : rel.split('/').map(encodeURIComponent).join('/');
	return `${prefix}${enc}${isDir && enc !== '' ? '/' : ''}`;
}

// splitDav - "/remote.php/dav/files/u/a/b" -> {tree: 'files', user: 'u',
// rel: 'a/b'} (segments decoded, ".." refused); null when not ours
function splitDav(pathname) {
	let tree = null;
	if (pathname.startsWith(FILES)) tree = 'files';
	else if (pathname.startsWith(UPLOADS)) tree = 'uploads';
	if (!tree) return null;
	const rest = pathname.slice((tree === 'files' ? FILES : UPLOADS).length);
	let segs;
	try {
		segs = rest.split('/').filter((s) => s !== '').map(decodeURIComponent);
	} catch (e) {
		return { bad: 'malformed percent-encoding' };
	}
	if (segs.length === 0) return { bad: 'no user in the path' };
	if (segs.some((s) => s === '.' || s === '..' || s.includes('/') || s.includes('\0')))
		return { bad: 'path segment not allowed' };
	return { tree, user: segs[0], rel: segs.slice(1).join('/') };
}

class NextcloudFake {
	constructor(opts) {
		if (opts.introspect) c.die('--introspect: Nextcloud takes HTTP Basic app passwords (--tokens FILE of "LOGIN PASSWORD")');
		this.opts = opts;
		this.name = 'nextcloud';
		// partial: Nextcloud writes a chunk to a .part file and renames it,
		// so it never keeps part of a request; 403-rate is Drive's
		this.unsupportedFaults = ['403-rate', 'partial'];
		this.staging = new c.Staging(opts.store);
		this.uploads = new Map();	// "user/id" -> {user, id, dest, total, chunks: Map n -> {st, size, name}, touched}
		this.chunkLog = [];		// every chunk PUT: {upload, chunk, bytes, complete}
		this.ttl = Math.min(opts.sessionTtl, UPLOAD_TTL);
	}

	// basic - the login of a valid "Authorization: Basic" header, or null.
	// The password file is re-read on every request (a test revokes an app
	// password by editing it).
	basic(req) {
		const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization || '');
		if (!m) return null;
		const cred = Buffer.from(m[1], 'base64').toString('utf8');
		const colon = cred.indexOf(':');
		if (colon <= 0) return null;
		const login = cred.slice(0, colon);
		const pass = cred.slice(colon + 1);
		let text = '';
		try {
			text = fs.readFileSync(this.opts.tokens, 'utf8');
		} catch (e) {
			return null;
		}
		for (const line of text.split('\n')) {
			const f = line.trim().split(/\s+/);
			if (!f[0] || f[0].startsWith('#') || f.length < 2) continue;
			if (f[0] === login && f[1] === pass) return login;
		}
		return null;
	}

	unauthorized(res) {
		sabreError(res, 401, 'NotAuthenticated', 'No public access to this resource., Username or password was incorrect',
			{ 'WWW-Authenticate': 'Basic realm="Nextcloud", charset="UTF-8"' });
	}

	faultReply(res, rule) {
		const ra = c.retryAfterHeader(rule);
		switch (rule.action) {
		case '401': return this.unauthorized(res);
		case '429': return sabreError(res, 429, 'TooManyRequests', 'Reached maximum delay', ra);
		case '503': return sabreError(res, 503, 'ServiceUnavailable', 'System in maintenance mode.', ra);
		case 'quota': return sabreError(res, 507, 'InsufficientStorage', 'Insufficient space in target');
		case 'gone': return sabreError(res, 404, 'NotFound', 'File not found (injected fault)');
		case 'bad-request': return sabreError(res, 400, 'BadRequest', 'Bad request (injected fault)');
		default: return sabreError(res, 500, 'ServiceUnavailable', 'Internal Server Error', ra);
		}
	}


	// reply - answer, or with drop-response reset the connection instead
	// (all the work is done: the ambiguous failure)
	static reply(req, rule, fn) {
		if (rule && rule.action === 'drop-response') {
			req.socket.destroy();
			return;
		}
		fn();
	}

	// local - the store path of a file-tree path of user
	local(user, rel) {
		return rel === '' ? path.join(this.opts.store, user) : path.join(this.opts.store, user, rel);
	}

	static statOf(p) {
		try {
			return fs.statSync(p);
		} catch (e) {
			return null;
		}
	}

	// destination - the Destination header as {user, rel} in the files
	// tree, or a string saying why not
	static destination(req, base) {
		const h = req.headers.destination;
		if (!h) return 'the Destination header is missing';
		let u;
		try {
			u = new URL(h, base);
		} catch (e) {
			return 'the Destination header is not a URL';
		}
		const d = splitDav(u.pathname);
		if (!d || d.bad || d.tree !== 'files' || d.rel === '') return `Destination ${h} is not a file under ${FILES}USER/`;
		return d;
	}

	// totalLength - OC-Total-Length as a number, undefined when absent,
	// NaN when malformed
	static totalLength(req) {
		const v = req.headers['oc-total-length'];
		if (v === undefined) return undefined;
		return /^\d+$/.test(v) ? Number(v) : NaN;
	}

	async handle(req, res, url) {
		const d = splitDav(url.pathname);
		if (!d) {
			await c.drain(req);
			return sabreError(res, 404, 'NotFound', `no route ${url.pathname}`);
		}
		const login = this.basic(req);
		if (!login) {
			await c.drain(req);
			return this.unauthorized(res);
		}
		if (d.bad) {
			await c.drain(req);
			return sabreError(res, 400, 'BadRequest', d.bad);
		}
		if (d.user !== login) {
			// another user's tree (inference: Nextcloud hides it)
			await c.drain(req);
			return sabreError(res, 404, 'NotFound', `Principal with name ${d.user} not found`);
		}
		if (d.tree === 'uploads') return this.uploadsRoute(req, res, d);
		return this.filesRoute(req, res, d);
	}

	// ------------------------------------------------------ files tree

	async filesRoute(req, res, d) {
		const m = req.method;
		const kinds = { PUT: ['upload-chunk', 'finish'], MOVE: ['finish'], HEAD: ['lookup'],
			GET: ['lookup'], PROPFIND: ['lookup'] }[m] || [];
		const rule = kinds.length ? c.takeFault(this, kinds) : null;
		if (await this.preFault(req, res, rule)) return undefined;
		const p = this.local(d.user, d.rel);
		const st = NextcloudFake.statOf(p);
		if (m === 'HEAD' || m === 'GET') {
			await c.drain(req);
			if (!st) return NextcloudFake.reply(req, rule, () => sabreError(res, 404, 'NotFound', `File with name ${d.rel} could not be located`));
			const h = { 'Content-Type': st.isDirectory() ? 'httpd/unix-directory' : 'application/octet-stream',
				ETag: `"${Math.floor(st.mtimeMs).toString(16)}"`, 'Last-Modified': st.mtime.toUTCString() };
			if (st.isFile()) h['Content-Length'] = st.size;
			return NextcloudFake.reply(req, rule, () => {
				res.writeHead(200, h);
				if (m === 'GET' && st.isFile()) fs.createReadStream(p).pipe(res);
				else res.end();
			});
		}
		if (m === 'PROPFIND') {
			await c.drain(req);
			if (!st) return NextcloudFake.reply(req, rule, () => sabreError(res, 404, 'NotFound', `File with name ${d.rel} could not be located`));
			return NextcloudFake.reply(req, rule, () => this.propfindFiles(req, res, d, st));
		}
		if (m === 'MKCOL') return this.mkcolFiles(req, res, d, st);
		if (m === 'PUT') return this.putFile(req, res, d, st, rule);
		if (m === 'MOVE') return this.moveFile(req, res, d, st, rule);
		if (m === 'DELETE') {
			await c.drain(req);
			if (!st) return sabreError(res, 404, 'NotFound', `File with name ${d.rel} could not be located`);
			if (d.rel === '') return sabreError(res, 403, 'Forbidden', 'the home folder cannot be deleted');
			fs.rmSync(p, { recursive: true, force: true });
			res.writeHead(204);
			return res.end();
		}
		await c.drain(req);
		return sabreError(res, 501, 'NotImplemented', `${m} is not implemented by this fake`);
	}

	// propEntry - one <d:response> of a file or folder
	static propEntry(href, st) {
		const dir = st.isDirectory();
		return '<d:response>' +
			`<d:href>${xmlEscape(href)}</d:href>` +
			'<d:propstat><d:prop>' +
			`<d:getlastmodified>${st.mtime.toUTCString()}</d:getlastmodified>` +
			(dir ? '<d:resourcetype><d:collection/></d:resourcetype>'
				: `<d:resourcetype/><d:getcontentlength>${st.size}</d:getcontentlength>` +
				'<d:getcontenttype>application/octet-stream</d:getcontenttype>') +
			`<d:getetag>"${Math.floor(st.mtimeMs).toString(16)}"</d:getetag>` +
			'</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>';
	}

	static multistatus(res, entries) {
		const body = '<?xml version="1.0"?>\n<d:multistatus xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" ' +
			`xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns">${entries.join('')}</d:multistatus>\n`;
		res.writeHead(207, { 'Content-Type': 'application/xml; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
		res.end(body);
	}

	// depth - the Depth header: 0, 1 or 'infinity' (Nextcloud refuses
	// infinity by default: 403 Sabre PropfindDepthInfinity... inference)
	static depth(req) {
		const v = (req.headers.depth || 'infinity').toLowerCase();
		return v === '0' ? 0 : v === '1' ? 1 : 'infinity';
	}

	propfindFiles(req, res, d, st) {
		const depth = NextcloudFake.depth(req);
		if (depth === 'infinity') return sabreError(res, 403, 'Forbidden', 'PROPFIND requests with a Depth of "infinity" are not allowed');
		const prefix = `${FILES}${encodeURIComponent(d.user)}/`;
		const entries = [NextcloudFake.propEntry(hrefOf(prefix, d.rel, st.isDirectory()), st)];
		if (depth === 1 && st.isDirectory()) {
			const dir = this.local(d.user, d.rel);
			for (const name of fs.readdirSync(dir).sort()) {
				const cst = NextcloudFake.statOf(path.join(dir, name));
				if (!cst) continue;
				const rel = d.rel === '' ? name : `${d.rel}/${name}`;
				entries.push(NextcloudFake.propEntry(hrefOf(prefix, rel, cst.isDirectory()), cst));
			}
		}
		return NextcloudFake.multistatus(res, entries);
	}

	async mkcolFiles(req, res, d, st) {
		const n = await c.drain(req);
		if (n > 0) return sabreError(res, 415, 'UnsupportedMediaType', 'The request body for the MKCOL request must have an xml Content-Type');
		if (st) return sabreError(res, 405, 'MethodNotAllowed', 'The resource you tried to create already exists');
		const parent = NextcloudFake.statOf(path.dirname(this.local(d.user, d.rel)));
		if (!parent || !parent.isDirectory()) return sabreError(res, 409, 'Conflict', 'Parent node does not exist');
		fs.mkdirSync(this.local(d.user, d.rel));
		res.writeHead(201, { 'Content-Length': 0 });
		return res.end();
	}

	// putFile - a whole file; written to staging first (Nextcloud's .part
	// file), so a cut PUT leaves nothing under the name
	async putFile(req, res, d, st, rule) {
		if (d.rel === '' || (st && st.isDirectory())) {
			await c.drain(req);
			return sabreError(res, 405, 'MethodNotAllowed', 'PUT is not allowed on a collection');
		}
		const parent = NextcloudFake.statOf(path.dirname(this.local(d.user, d.rel)));
		if (!parent || !parent.isDirectory()) {
			await c.drain(req);
			return sabreError(res, 409, 'Conflict', 'Files can only be created as children of collections');
		}
		const sg = this.staging.open(c.newId(12).replace(/[^A-Za-z0-9]/g, 'x'));
		const got = await c.receiveInto(req, sg.fd, 0, { stats: this.stats });
		if (!got.complete) return this.staging.discard(sg);
		const existed = !!NextcloudFake.statOf(this.local(d.user, d.rel));
		this.staging.place(sg, this.opts.store, path.join(d.user, d.rel), got.persisted);
		this.stats.completed_uploads++;
		return NextcloudFake.reply(req, rule, () => {
			res.writeHead(existed ? 204 : 201, { 'Content-Length': 0, 'OC-FileId': c.newId(6) });
			res.end();
		});
	}

	// moveTarget - checks common to MOVE: {to, existed} or answers the
	// error itself and returns null
	moveTarget(req, res, overwriteDefault) {
		const dest = NextcloudFake.destination(req, this.base);
		if (typeof dest === 'string') { sabreError(res, 400, 'BadRequest', dest); return null; }
		if (dest.user !== this.basic(req)) { sabreError(res, 403, 'Forbidden', 'Destination is in another user\'s tree'); return null; }
		const to = this.local(dest.user, dest.rel);
		const parent = NextcloudFake.statOf(path.dirname(to));
		if (!parent || !parent.isDirectory()) { sabreError(res, 409, 'Conflict', 'The destination node is not found'); return null; }
		const existing = NextcloudFake.statOf(to);
		const ow = (req.headers.overwrite || overwriteDefault).toUpperCase();
		if (existing && ow === 'F') {
			sabreError(res, 412, 'PreconditionFailed', 'The destination node already exists, and the overwrite header is set to false');
			return null;
		}
		if (existing && existing.isDirectory()) { sabreError(res, 409, 'Conflict', 'the destination is a folder'); return null; }
		return { to, existed: !!existing, dest };
	}

	async moveFile(req, res, d, st, rule) {
		await c.drain(req);
		if (!st) return sabreError(res, 404, 'NotFound', `File with name ${d.rel} could not be located`);
		if (d.rel === '') return sabreError(res, 403, 'Forbidden', 'the home folder cannot be moved');
		const t = this.moveTarget(req, res, 'T');
		if (!t) return undefined;
		fs.renameSync(this.local(d.user, d.rel), t.to);
		return NextcloudFake.reply(req, rule, () => {
			res.writeHead(t.existed ? 204 : 201, { 'Content-Length': 0 });
			res.end();
		});
	}

	// ------------------------------------------------- chunked upload v2

	// liveUpload - the upload of user/id unless missing or expired
	liveUpload(user, id) {
		const key = `${user}/${id}`;
		const u = this.uploads.get(key);
		if (!u) return null;
		if (u.touched + this.ttl * 1000 < Date.now()) {
			this.dropUpload(u);
			return null;
		}
		return u;
	}

	dropUpload(u) {
		for (const ch of u.chunks.values()) this.staging.discard(ch.st);
		u.chunks.clear();
		this.uploads.delete(`${u.user}/${u.id}`);
	}

	async uploadsRoute(req, res, d) {
		const segs = d.rel === '' ? [] : d.rel.split('/');
		const m = req.method;
		if (segs.length === 0) {
			// the uploads home: only listing (no upload id)
			await c.drain(req);
			if (m !== 'PROPFIND') return sabreError(res, 405, 'MethodNotAllowed', `${m} on the uploads home`);
			const now = new Date();
			const dirStat = { isDirectory: () => true, mtime: now, mtimeMs: now.getTime() };
			const prefix = `${UPLOADS}${encodeURIComponent(d.user)}/`;
			const entries = [NextcloudFake.propEntry(prefix, dirStat)];
			if (NextcloudFake.depth(req) === 1) {
				for (const u of this.uploads.values())
					if (u.user === d.user) entries.push(NextcloudFake.propEntry(hrefOf(prefix, u.id, true), dirStat));
			}
			return NextcloudFake.multistatus(res, entries);
		}
		if (segs.length > 2) {
			await c.drain(req);
			return sabreError(res, 404, 'NotFound', 'no such upload item');
		}
		const kinds = segs.length === 1 ? { MKCOL: ['create-session'], PROPFIND: ['status'] }[m]
			: segs[1] === '.file' ? (m === 'MOVE' ? ['finish'] : null) : (m === 'PUT' ? ['upload-chunk'] : null);
		const rule = kinds ? c.takeFault(this, kinds) : null;
		if (await this.preFault(req, res, rule)) return undefined;
		// chunking v2: "Every request needs to have a Destination header"
		const dest = NextcloudFake.destination(req, this.base);
		if (typeof dest === 'string') {
			await c.drain(req);
			return sabreError(res, 400, 'BadRequest', `chunked upload v2: ${dest}`);
		}
		const u = this.liveUpload(d.user, segs[0]);
		if (segs.length === 1) {
			if (m === 'MKCOL') return this.mkcolUpload(req, res, d, segs[0], dest, u, rule);
			await c.drain(req);
			if (!u) return sabreError(res, 404, 'NotFound', `File with name ${segs[0]} could not be located`);
			u.touched = Date.now();
			if (m === 'PROPFIND') return NextcloudFake.reply(req, rule, () => this.propfindUpload(req, res, u));
			if (m === 'DELETE') {
				this.dropUpload(u);
				res.writeHead(204);
				return res.end();
			}
			return sabreError(res, 405, 'MethodNotAllowed', `${m} on an upload folder`);
		}
		if (!u) {
			await c.drain(req);
			return sabreError(res, 404, 'NotFound', `Upload ${segs[0]} does not exist (never made, assembled, deleted or expired)`);
		}
		u.touched = Date.now();
		if (segs[1] === '.file') {
			await c.drain(req);
			if (m !== 'MOVE') return sabreError(res, 405, 'MethodNotAllowed', `${m} on .file (only MOVE assembles)`);
			return this.assemble(req, res, u, rule);
		}
		if (m === 'PUT') return this.putChunk(req, res, u, segs[1], rule);
		await c.drain(req);
		if (m === 'GET') return sabreError(res, 403, 'Forbidden', 'Chunks cannot be downloaded from the upload directory');
		if (m === 'DELETE' && u.chunks.has(segs[1])) {
			this.staging.discard(u.chunks.get(segs[1]).st);
			u.chunks.delete(segs[1]);
			res.writeHead(204);
			return res.end();
		}
		return sabreError(res, 405, 'MethodNotAllowed', `${m} on a chunk`);
	}

	async mkcolUpload(req, res, d, id, dest, u, rule) {
		await c.drain(req);
		if (u) return sabreError(res, 405, 'MethodNotAllowed', 'The resource you tried to create already exists');
		const total = NextcloudFake.totalLength(req);
		if (Number.isNaN(total)) return sabreError(res, 400, 'BadRequest', 'OC-Total-Length is not a number');
		this.uploads.set(`${d.user}/${id}`, { user: d.user, id, dest, total, chunks: new Map(), touched: Date.now() });
		this.stats.sessions_created++;
		return NextcloudFake.reply(req, rule, () => {
			res.writeHead(201, { 'Content-Length': 0 });
			res.end();
		});
	}

	async putChunk(req, res, u, name, rule) {
		// "limited to be a number between 1 and 10000" (zero padding is fine)
		const n = /^\d{1,10}$/.test(name) ? Number(name) : NaN;
		if (!(n >= 1 && n <= MAX_CHUNKS)) {
			await c.drain(req);
			return sabreError(res, 400, 'BadRequest', `chunk name ${name} is not a number between 1 and ${MAX_CHUNKS}`);
		}
		const total = NextcloudFake.totalLength(req);
		if (Number.isNaN(total) || (total !== undefined && u.total !== undefined && total !== u.total)) {
			await c.drain(req);
			return sabreError(res, 400, 'BadRequest', `OC-Total-Length ${req.headers['oc-total-length']} differs from this upload's ${u.total}`);
		}
		if (total !== undefined) u.total = total;
		const cl = req.headers['content-length'];
		if (cl !== undefined && Number(cl) > MAX_CHUNK) {
			res.setHeader('Connection', 'close');
			sabreError(res, 413, 'BadRequest', 'a chunk is at most 5 GB');
			req.socket.end();
			return undefined;
		}
		const sg = this.staging.open(`nc-${c.newId(12).replace(/[^A-Za-z0-9]/g, 'x')}`);
		const got = await c.receiveInto(req, sg.fd, 0, { stats: this.stats });
		this.chunkLog.push({ upload: u.id, chunk: name, bytes: got.received, complete: got.complete });
		if (!got.complete) return this.staging.discard(sg);	// the .part never became the chunk
		const old = u.chunks.get(name);
		if (old) this.staging.discard(old.st);
		fs.ftruncateSync(sg.fd, got.persisted);
		u.chunks.set(name, { st: sg, size: got.persisted, n });
		u.touched = Date.now();
		return NextcloudFake.reply(req, rule, () => {
			res.writeHead(old ? 204 : 201, { 'Content-Length': 0, ETag: `"${c.newId(8)}"` });
			res.end();
		});
	}

	propfindUpload(req, res, u) {
		const prefix = `${UPLOADS}${encodeURIComponent(u.user)}/`;
		const now = new Date(u.touched);
		const dirStat = { isDirectory: () => true, mtime: now, mtimeMs: now.getTime() };
		const entries = [NextcloudFake.propEntry(hrefOf(prefix, u.id, true), dirStat)];
		if (NextcloudFake.depth(req) !== 0) {
			for (const [name, ch] of [...u.chunks.entries()].sort((a, b) => a[1].n - b[1].n))
				entries.push(NextcloudFake.propEntry(hrefOf(prefix, `${u.id}/${name}`, false),
					{ isDirectory: () => false, size: ch.size, mtime: now, mtimeMs: now.getTime() }));
		}
		return NextcloudFake.multistatus(res, entries);
	}

	// assemble - MOVE .file: chunks in name (numeric) order into the
	// Destination; every chunk but the last must be at least 5 MB and the
	// sum must equal OC-Total-Length. The upload folder is gone afterwards.
	assemble(req, res, u, rule) {
		const total = NextcloudFake.totalLength(req);
		if (total === undefined || Number.isNaN(total))
			return sabreError(res, 400, 'BadRequest', 'MOVE .file needs OC-Total-Length (this fake insists; Nextcloud checks it when sent)');
		const list = [...u.chunks.values()].sort((a, b) => a.n - b.n);
		if (list.length === 0) return sabreError(res, 400, 'BadRequest', 'no chunks were uploaded');
		const small = list.slice(0, -1).find((ch) => ch.size < MIN_CHUNK || ch.size > MAX_CHUNK);
		if (small)
			return sabreError(res, 400, 'BadRequest', `Chunk ${small.n} is ${small.size} bytes: every chunk but the last must be 5MB-5GB`);
		const sum = list.reduce((a, ch) => a + ch.size, 0);
		if (sum !== total)
			return sabreError(res, 400, 'BadRequest', `Chunks on server do not sum up to ${total} but to ${sum} bytes`);
		const t = this.moveTarget(req, res, 'T');
		if (!t) return undefined;
		// synchronous from here to the rename: no other request can take
		// the name in between (see Staging.place)
		const sg = this.staging.open(`nc-asm-${c.newId(9).replace(/[^A-Za-z0-9]/g, 'x')}`);
		let at = 0;
		const buf = Buffer.alloc(1 << 20);
		for (const ch of list) {
			for (let off = 0; off < ch.size;) {
				const n = fs.readSync(ch.st.fd, buf, 0, Math.min(buf.length, ch.size - off), off);
				if (n <= 0) throw new Error(`chunk ${ch.n} is shorter than recorded`);
				fs.writeSync(sg.fd, buf, 0, n, at);
				off += n;
				at += n;
			}
		}
		this.staging.place(sg, this.opts.store, path.join(t.dest.user, t.dest.rel), at);
		const mtime = Number(req.headers['x-oc-mtime']);
		const h = { 'Content-Length': 0, 'OC-FileId': c.newId(6), ETag: `"${c.newId(8)}"` };
		if (Number.isInteger(mtime) && mtime > 0) {
			fs.utimesSync(t.to, mtime, mtime);
			h['X-OC-MTime'] = 'accepted';
		}
		this.dropUpload(u);
		this.stats.completed_uploads++;
		return NextcloudFake.reply(req, rule, () => {
			res.writeHead(t.existed ? 204 : 201, h);
			res.end();
		});
	}

	// ------------------------------------------------------- control

	// control - GET /__fake/uploads: open uploads and every chunk PUT seen
	async control(req, res, url) {
		if (req.method === 'GET' && url.pathname === '/__fake/uploads') {
			const open = [...this.uploads.values()].map((u) => ({ user: u.user, id: u.id,
				destination: `${u.dest.user}/${u.dest.rel}`, total: u.total === undefined ? null : u.total,
				chunks: [...u.chunks.entries()].sort((a, b) => a[1].n - b[1].n).map(([name, ch]) => ({ name, size: ch.size })) }));
			c.sendJson(res, 200, { open, chunk_puts: this.chunkLog });
			return true;
		}
		return false;
	}

	// index - every file in the store (STORE/USER/PATH), with its sha256
	index() {
		const out = [];
		const walk = (rel) => {
			const dir = path.join(this.opts.store, rel);
			for (const name of fs.readdirSync(dir).sort()) {
				if (rel === '' && name === '.staging') continue;
				const r = rel === '' ? name : `${rel}/${name}`;
				const st = fs.statSync(path.join(dir, name));
				if (st.isDirectory()) walk(r);
				else out.push({ name, path: r, size: st.size,
					sha256: crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, name))).digest('hex') });
			}
		};
		walk('');
		return out;
	}

	// expireSessions - as if 24 h of inactivity had passed
	expireSessions() {
		const n = this.uploads.size;
		for (const u of [...this.uploads.values()]) this.dropUpload(u);
		return n;
	}
}

const opts = c.parseArgs(process.argv.slice(2));
// only preFault: its reply is a static with another signature
NextcloudFake.prototype.preFault = c.faultMethods.preFault;
c.startServer(opts, new NextcloudFake(opts));
