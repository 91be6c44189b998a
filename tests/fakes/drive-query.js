'use strict';
// drive-query.js - the parts of Drive v3's files.list `q` language and of
// the `fields` partial-response syntax the fake understands.
//
// q: conditions joined by and / or, with not and parentheses:
//   name = 'x'   name != 'x'   name contains 'x'
//   mimeType = 'x'   mimeType != 'x'
//   trashed = true|false
//   'ID' in parents          ('root' names My Drive)
//   appProperties has { key='K' and value='V' }   (likewise properties)
// String literals use single quotes; \' and \\ escape.
// fields: "id,name,size", "files(id,name),nextPageToken", "*", "files/id".

// tokenize - q into tokens {t: 'str'|'word'|'op'|'(' |')'|'{'|'}', v}
function tokenize(q) {
	const out = [];
	let i = 0;
	while (i < q.length) {
		const c = q[i];
		if (/\s/.test(c)) { i++; continue; }
		if (c === "'") {
			let v = '';
			i++;
			for (;;) {
				if (i >= q.length) throw new Error('unterminated string');
				if (q[i] === '\\' && i + 1 < q.length) { v += q[i + 1]; i += 2; continue; }
				if (q[i] === "'") { i++; break; }
				v += q[i++];
			}
			out.push({ t: 'str', v });
			continue;
		}
		if ('(){}'.includes(c)) { out.push({ t: c }); i++; continue; }
		const op = /^(!=|<=|>=|=|<|>)/.exec(q.slice(i));
		if (op) { out.push({ t: 'op', v: op[1] }); i += op[1].length; continue; }
		const w = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(q.slice(i));
		if (w) { out.push({ t: 'word', v: w[0] }); i += w[0].length; continue; }
		throw new Error(`unexpected character ${c}`);
	}
	return out;
}

// parseQuery - q into a predicate over a file record; throws on syntax
// the fake does not know (the real API answers 400 "Invalid Value")
function parseQuery(q) {
	const toks = tokenize(q);
	let pos = 0;
	const peek = () => toks[pos];
	const next = () => toks[pos++];
	const expect = (t, v) => {
		const k = next();
		if (!k || k.t !== t || (v !== undefined && String(k.v).toLowerCase() !== v))
			throw new Error(`expected ${v || t}`);
		return k;
	};
	const isWord = (k, v) => k && k.t === 'word' && k.v.toLowerCase() === v;

	function hasClause(field) {
		expect('{');
		expect('word', 'key');
		expect('op', '=');
		const key = expect('str').v;
		expect('word', 'and');
		expect('word', 'value');
		expect('op', '=');
		const value = expect('str').v;
		expect('}');
		return (f) => !!f[field] && Object.prototype.hasOwnProperty.call(f[field], key) &&
			f[field][key] === value;
	}

	function cond() {
		const k = next();
		if (!k) throw new Error('query ends early');
		if (k.t === '(') {
			const e = orExpr();
			expect(')');
			return e;
		}
		if (isWord(k, 'not')) {
			const e = cond();
			return (f) => !e(f);
		}
		if (k.t === 'str') {
			expect('word', 'in');
			const coll = expect('word').v;
			if (coll !== 'parents') throw new Error(`'x' in ${coll} is not supported`);
			return (f) => (f.parents || []).includes(k.v);
		}
		if (k.t !== 'word') throw new Error('expected a field');
		const field = k.v;
		if (field === 'appProperties' || field === 'properties') {
			expect('word', 'has');
			return hasClause(field);
		}
		const o = next();
		const opv = o && (o.t === 'op' ? o.v : (o.t === 'word' ? o.v.toLowerCase() : null));
		if (field === 'trashed') {
			const v = expect('word').v.toLowerCase();
			if (v !== 'true' && v !== 'false') throw new Error('trashed takes true or false');
			if (opv === '=') return (f) => !!f.trashed === (v === 'true');
			if (opv === '!=') return (f) => !!f.trashed !== (v === 'true');
			throw new Error('trashed takes = or !=');
		}
		if (field !== 'name' && field !== 'mimeType') throw new Error(`field ${field} is not supported`);
		const v = expect('str').v;
		if (opv === '=') return (f) => f[field] === v;
		if (opv === '!=') return (f) => f[field] !== v;
		if (opv === 'contains' && field === 'name') return (f) => f.name.includes(v);
		throw new Error(`operator ${opv} on ${field} is not supported`);
	}

	function andExpr() {
		let e = cond();
		while (isWord(peek(), 'and')) {
			next();
			const l = e;
			const r = cond();
			e = (f) => l(f) && r(f);
		}
		return e;
	}

	function orExpr() {
		let e = andExpr();
		while (isWord(peek(), 'or')) {
			next();
			const l = e;
			const r = andExpr();
			e = (f) => l(f) || r(f);
		}
		return e;
	}

	const e = orExpr();
	if (pos !== toks.length) throw new Error('trailing tokens');
	return e;
}

// parseFields - "a,b(c,d),e/f" into a tree {a: true, b: {c: true, d: true}, e: {f: true}}
function parseFields(s) {
	let i = 0;
	function list(stop) {
		const tree = {};
		while (i < s.length && s[i] !== stop) {
			let name = '';
			while (i < s.length && !',()/'.includes(s[i])) name += s[i++];
			name = name.trim();
			if (!name) throw new Error('empty field name');
			let node = true;
			if (s[i] === '(') {
				i++;
				node = list(')');
				if (s[i] !== ')') throw new Error('unbalanced parentheses');
				i++;
			} else if (s[i] === '/') {
				i++;
				const sub = list(',');
				node = sub;
			}
			tree[name] = node;
			if (s[i] === ',') i++;
			else if (i < s.length && s[i] !== stop) throw new Error('bad fields syntax');
		}
		return tree;
	}
	const t = list(undefined);
	return t;
}

// applyFields - keep only the selected fields of obj (tree from parseFields)
function applyFields(obj, tree) {
	if (tree === true || tree['*'] === true) return obj;
	if (Array.isArray(obj)) return obj.map((o) => applyFields(o, tree));
	if (!obj || typeof obj !== 'object') return obj;
	const out = {};
	for (const k of Object.keys(tree)) {
		if (obj[k] !== undefined) out[k] = applyFields(obj[k], tree[k]);
	}
	return out;
}

module.exports = { parseQuery, parseFields, applyFields };
