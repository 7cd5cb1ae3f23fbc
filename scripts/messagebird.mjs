// Signs requests the way MessageBird does (MessageBird-Signature-JWT, HS256):
// an implementation independent of the worker's, for tests and local tries.
import { createHmac, createHash, randomUUID } from "node:crypto";

const b64url = (buf) => Buffer.from(buf).toString("base64url");
const sha256 = (data) => createHash("sha256").update(data).digest("hex");

export function signJwt(key, url, body = "", now = Math.floor(Date.now() / 1000)) {
  const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const claims = { iss: "MessageBird", nbf: now, exp: now + 60, jti: randomUUID(), url_hash: sha256(url) };
  if (body.length > 0) claims.payload_hash = sha256(body);
  const payload = b64url(JSON.stringify(claims));
  const signature = b64url(createHmac("sha256", key).update(`${header}.${payload}`).digest());
  return `${header}.${payload}.${signature}`;
}
