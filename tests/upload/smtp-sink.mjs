// smtp-sink.mjs - SMTP servers for t-smtp.sh (smtp-server from npm), each
// capturing every accepted message to MAILDIR/MODE/NNN.eml.
//
// usage: node smtp-sink.mjs MAILDIR CERT KEY MODE=PORT...
// modes:
//   starttls  offers STARTTLS and refuses MAIL FROM before it
//   plain     never offers STARTTLS (a client must refuse to go on)
//   tls       TLS from the first byte (smtps://)
//   drop      like starttls, but after a whole message it closes the
//             connection without answering (the "lost 250" of RFC 1047)
//   reject    like starttls, but answers 552 to every message's data
// Prints "sink ready" once every server listens.
import fs from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

const [mailDir, certFile, keyFile, ...specs] = process.argv.slice(2);
const cert = fs.readFileSync(certFile);
const key = fs.readFileSync(keyFile);
let waiting = specs.length;

function capture(dir, n, buf) {
  const file = path.join(dir, `${String(n).padStart(3, '0')}.eml`);
  fs.writeFileSync(`${file}.tmp`, buf);
  fs.renameSync(`${file}.tmp`, file);
}

for (const spec of specs) {
  const [mode, port] = spec.split('=');
  const dir = path.join(mailDir, mode);
  const sockets = new Set();
  let n = 0;
  fs.mkdirSync(dir, { recursive: true });
  const server = new SMTPServer({
    secure: mode === 'tls',
    hideSTARTTLS: mode === 'plain',
    key,
    cert,
    authOptional: true,
    logger: false,
    onMailFrom(address, session, cb) {
      if (!session.secure) return cb(new Error('530 Must issue a STARTTLS command first'));
      return cb();
    },
    onData(stream, session, cb) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', () => {
        if (mode === 'reject') {
          const err = new Error('552 message too big for this test');
          err.responseCode = 552;
          return cb(err);
        }
        n += 1;
        capture(dir, n, Buffer.concat(chunks));
        if (mode === 'drop') {
          for (const s of sockets) s.destroy();
          return undefined;
        }
        return cb();
      });
    },
  });
  server.server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('error', (e) => console.error(`${mode}: ${e.message}`));
  server.listen(Number(port), '127.0.0.1', () => {
    waiting -= 1;
    if (waiting === 0) console.log('sink ready');
  });
}
