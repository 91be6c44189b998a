'use strict';
// quickxor.js - Microsoft's quickXorHash for the Graph fake (consumer
// OneDrive reports only this hash). Written independently of the C code
// in spoold/up_qxh.c, in another shape, so the two check each other:
// byte k lands at bit (11 * k) mod 160 of a 160-bit circular register,
// which depends only on k mod 160, so the bytes are first XORed together
// per class k mod 160 (a plain loop, fast in JS), and the 160 class bytes
// are rotated into a BigInt register at the end; the length (64-bit,
// little-endian) is XORed into the last 8 of the 20 bytes.
//
//   node quickxor.js FILE      prints the base64 digest
//   node quickxor.js --self-test   checks published vectors (rclone's)

const fs = require('fs');

const WIDTH = 160n;
const MASK = (1n << WIDTH) - 1n;

class QuickXor {
	constructor() {
		this.classes = new Uint8Array(160);
		this.length = 0;
	}

	update(buf) {
		const cls = this.classes;
		let k = this.length % 160;
		for (let i = 0; i < buf.length; i++) {
			cls[k] ^= buf[i];
			if (++k === 160) k = 0;
		}
		this.length += buf.length;
		return this;
	}

	// digest - base64 of the 20 bytes (little-endian register)
	digest() {
		let reg = 0n;
		for (let k = 0; k < 160; k++) {
			const v = BigInt(this.classes[k]);
			const at = BigInt((11 * k) % 160);
			reg ^= ((v << at) | (v >> (WIDTH - at))) & MASK; // rotate left
		}
		reg ^= BigInt(this.length) << 96n; // bytes 12..19
		const out = Buffer.alloc(20);
		for (let i = 0; i < 20; i++) out[i] = Number((reg >> BigInt(8 * i)) & 0xffn);
		return out.toString('base64');
	}
}

// quickXorFile - digest of a file, streamed
function quickXorFile(file) {
	return new Promise((resolve, reject) => {
		const q = new QuickXor();
		fs.createReadStream(file, { highWaterMark: 1 << 20 })
			.on('data', (d) => q.update(d))
			.on('end', () => resolve(q.digest()))
			.on('error', reject);
	});
}

module.exports = { QuickXor, quickXorFile };

if (require.main === module) {
	const arg = process.argv[2];
	if (arg === '--self-test') {
		const v = [['', 'AAAAAAAAAAAAAAAAAAAAAAAAAAA='], ['Sg==', 'SgAAAAAAAAAAAAAAAQAAAAAAAAA='],
			['0pZP', '0rDEEwAAAAAAAAAAAwAAAAAAAAA='],
			['2fuxhBJXtpWFe8dOfdGeHw==', 'O9tHLAghgSvYohKFyMMxnNCHaHg='],
			['jyibxJSzO6ZiZ0O1qe3tG/bvIAYssvukh9suIT5wEy1JBINVgPiqdsTW0cOpP0aUfP7mgqLfADkzI/m/' +
			 'GgCuVhr8oFLrOCoTx1/psBOWwhltCbhUx51Icm9aH8tY4Z3ccU+6BKpYQkLCy0B/A9Zc',
			 'hZfLIilSITC6N3e3tQ/iSgEzkto=']];
		let bad = 0;
		for (const [i, o] of v) {
			const got = new QuickXor().update(Buffer.from(i, 'base64')).digest();
			if (got !== o) { console.log(`mismatch for ${i}: ${got} != ${o}`); bad++; }
		}
		process.exit(bad ? 1 : 0);
	}
	quickXorFile(arg).then((d) => console.log(d), (e) => { console.error(e.message); process.exit(1); });
}
