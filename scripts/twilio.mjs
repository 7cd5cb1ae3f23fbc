// Signs requests the way Twilio does: an implementation independent of the
// worker's, so the end-to-end tests check one against the other.
import { createHmac } from "node:crypto";

export function stringToSign(url, params) {
  if (!params) return url;
  const pairs = [...new Set(params.map(([k, v]) => JSON.stringify([k, v])))].map((s) => JSON.parse(s));
  pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return url + pairs.map(([k, v]) => k + v).join("");
}

export function sign(url, params, key, algorithm = "sha1") {
  return createHmac(algorithm, key).update(stringToSign(url, params), "utf8").digest("base64");
}

export function encode(params) {
  return params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`.replace(/%20/g, "+")).join("&");
}

// Twilio's Timestamp on status callbacks: RFC 2822 in UTC, whole seconds.
export const stamp = (ms) => new Date(ms).toUTCString().replace("GMT", "+0000");

// A voice webhook's usual parameters.
export function callParams(overrides = {}) {
  const base = {
    AccountSid: "AC00000000000000000000000000000001",
    ApiVersion: "2010-04-01",
    CallSid: "CA" + "0".repeat(31) + "1",
    CallStatus: "ringing",
    Direction: "inbound",
    From: "+14155550100",
    To: "+14155550199",
  };
  return Object.entries({ ...base, ...overrides }).filter(([, v]) => v !== undefined);
}

// POSTs a signed form webhook. `publicUrl` is the URL the signature covers
// (defaults to the one requested).
export async function post(base, path, params, { token, algorithm, keyId, signature, publicUrl, headers = {} } = {}) {
  const url = base + path;
  const h = { "Content-Type": "application/x-www-form-urlencoded", ...headers };
  if (signature !== null) {
    h["X-Twilio-Signature"] = signature ?? sign(publicUrl ?? url, params, token, algorithm === "HMAC_SHA256" ? "sha256" : "sha1");
  }
  if (keyId) h["X-Twilio-Webhooks-Signature-Settings"] = `key=${keyId},algorithm=${algorithm}`;
  return fetch(url, { method: "POST", headers: h, body: encode(params) });
}
