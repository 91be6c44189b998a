// peers.mjs - the consent test's real peers on loopback:
//   an OAuth2/OIDC authorization server (oidc-provider) over HTTPS with
//   PKCE required, client_secret_post, refresh tokens (offline_access),
//   revocation, introspection (for the Drive fake that checks the bearer
//   tokens of deliveries), the device grant (client cloudspool-device),
//   and its development login, consent and user-code pages;
//   an SMTP server (smtp-server) offering STARTTLS, capturing every
//   message as MAILDIR/NNN.eml.
// usage: node peers.mjs CERT KEY OIDC_PORT SMTP_PORT REDIRECT_URI MAILDIR
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import Provider from 'oidc-provider';
import { SMTPServer } from 'smtp-server';

const [cert, key, oidcPort, smtpPort, redirectUri, mailDir] = process.argv.slice(2);
const tls = { cert: fs.readFileSync(cert), key: fs.readFileSync(key) };
const issuer = `https://127.0.0.1:${oidcPort}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'cloudspool',
    client_secret: 'cloudspool-test-secret',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    scope: 'openid offline_access',
  }, {
    // the device grant (RFC 8628) of `cloudspool authorize`
    // (tests/e2e/t-device.sh): its own client, so that the link flow's
    // client above stays exactly what t-consent tests
    client_id: 'cloudspool-device',
    client_secret: 'cloudspool-test-secret',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_post',
    scope: 'openid offline_access',
  }, {
    // the Drive fake (tests/fakes/drive.js) checks bearer tokens here
    // (RFC 7662 introspection, HTTP Basic)
    client_id: 'drive-fake',
    client_secret: 'drive-fake-secret',
    grant_types: [],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true, methods: ['S256'] },
  features: { revocation: { enabled: true }, introspection: { enabled: true },
    devInteractions: { enabled: true }, deviceFlow: { enabled: true } },
  scopes: ['openid', 'offline_access'],
  ttl: { AccessToken: 30, AuthorizationCode: 120, RefreshToken: 86400 },
  cookies: { keys: ['cloudspool-consent-test-cookie-key'] },
});
provider.proxy = false;
https.createServer(tls, provider.callback()).listen(Number(oidcPort), '127.0.0.1');

fs.mkdirSync(mailDir, { recursive: true });
// numbering goes on across a restart (the invalid_grant test restarts us)
let n = fs.readdirSync(mailDir).filter((f) => f.endsWith('.eml')).length;
const smtp = new SMTPServer({
  secure: false,
  key: tls.key,
  cert: tls.cert,
  authOptional: true,
  disabledCommands: [],
  // refuse mail before STARTTLS: the client must upgrade
  onMailFrom(address, session, cb) {
    if (!session.secure) return cb(new Error('530 Must issue a STARTTLS command first'));
    return cb();
  },
  onData(stream, session, cb) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      n += 1;
      const file = path.join(mailDir, `${String(n).padStart(3, '0')}.eml`);
      fs.writeFileSync(`${file}.tmp`, Buffer.concat(chunks));
      fs.renameSync(`${file}.tmp`, file);
      cb();
    });
  },
});
smtp.listen(Number(smtpPort), '127.0.0.1', () => console.log('peers ready'));
