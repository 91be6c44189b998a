// mailtext.mjs - a captured message as the recipient reads it: "To:",
// "Subject:" (RFC 2047 decoded) and the text body (quoted-printable
// decoded), so the tests grep what a person sees.
// usage: node mailtext.mjs FILE.eml
import fs from 'node:fs';
import { simpleParser } from 'mailparser';

const m = await simpleParser(fs.readFileSync(process.argv[2]));
process.stdout.write(`To: ${m.to?.text ?? ''}\nSubject: ${m.subject ?? ''}\n\n${m.text ?? ''}\n`);
