// A local HTTP server that records what the worker sends out (Twilio REST
// calls, notification webhooks) and answers with a chosen status.
import { createServer } from "node:http";

export async function startRecorder() {
  const requests = [];
  let status = 201;
  // Only requests whose path holds this fail, when it is set.
  let failing = null;
  let hanging = false;
  let answer = { sid: "SM" + "0".repeat(32) };
  const held = [];
  const files = new Map();
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      // A receiver that takes the request and never answers.
      if (hanging) return held.push(res);
      // A file at this path (a recording): its bytes, whatever `status` is.
      const file = req.method === "GET" && files.get(req.url);
      if (file) {
        res.writeHead(200, { "Content-Type": file.type, "Content-Length": file.bytes.length });
        return res.end(file.bytes);
      }
      const code = failing && !req.url.includes(failing) ? 201 : status;
      res.writeHead(code, { "Content-Type": "application/json" });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    // Answers `code` from now on: to every request, or with `only`, to those
    // whose path holds it (one receiver down, another up).
    failWith(code, only = null) { status = code; failing = only; },
    // The JSON every request is answered with (a created message, a fetched call).
    answerWith(body) { answer = body; },
    // Serves `bytes` at `path` to GET requests (a recording's media URL); null stops.
    serve(path, bytes, type) { if (bytes === null) files.delete(path); else files.set(path, { bytes, type }); },
    succeed() { status = 201; failing = null; hanging = false; held.splice(0).forEach((r) => r.destroy()); },
    hang() { hanging = true; },
    stop: () => { held.splice(0).forEach((r) => r.destroy()); server.closeAllConnections?.(); return new Promise((r) => server.close(r)); },
  };
}
