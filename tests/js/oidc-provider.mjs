// An OpenID Connect provider for the tests: oauth2-mock-server on 127.0.0.1.
// Usage: node oidc-provider.mjs PORT IDENTITY_FILE
// Each token carries the claims in IDENTITY_FILE (JSON: sub, email, email_verified, name), read at signing
// time, so a test chooses who signs in by writing that file.
import { readFileSync } from "node:fs";
import { OAuth2Server } from "oauth2-mock-server";

const [port, identityFile] = process.argv.slice(2);
const server = new OAuth2Server();
await server.issuer.keys.generate("RS256");

const identity = () => JSON.parse(readFileSync(identityFile, "utf8"));

server.service.on("beforeTokenSigning", (token) => {
  Object.assign(token.payload, identity());
});
server.service.on("beforeUserinfo", (response) => {
  response.body = { ...identity() };
});

await server.start(Number(port), "127.0.0.1");
server.issuer.url = `http://127.0.0.1:${port}`;
console.log(`ready ${server.issuer.url}`);
