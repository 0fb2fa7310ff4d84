// The generated client against a tiny fake of the service (node:http), so this needs neither the
// service nor a Docker engine: it checks what the client sends and how it reads the answers.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { ExecutionsClient, FilesClient, HealthClient, ApiException } from "../dist/client.js";

const stored = new Map();
const requests = [];
let baseUrl;
let server;

function json(res, status, body, type = "application/json") {
  res.writeHead(status, { "content-type": type });
  res.end(JSON.stringify(body));
}

async function handle(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  requests.push({ method: req.method, url: req.url, headers: req.headers, body });

  if (req.method === "GET" && req.url === "/health") {
    return json(res, 200, { status: "ok", message: null, version: "1.0.0" });
  }
  if (req.method === "POST" && req.url === "/v1/execute") {
    const request = JSON.parse(body.toString("utf8"));
    if (!request.code) {
      return json(res, 422, {
        title: "Invalid request", status: 422, detail: "code: code is required",
        errors: { code: ["code is required"] },
      }, "application/problem+json");
    }
    return json(res, 200, {
      stdout: "hi\n", stderr: "", exit_code: 0, timed_out: false, duration_ms: 12,
      files: [{ path: "out.txt", kind: "file", file_id: "f".repeat(32), size_bytes: 3 }],
      files_dropped: [], stdout_truncated: false, stderr_truncated: false, oom_killed: false, error: null,
    });
  }
  if (req.method === "POST" && req.url === "/v1/files") {
    const text = body.toString("latin1");
    const match = /name="?file"?; filename="?([^"\r\n;]+)"?\r\n(?:[^\r\n]+\r\n)*\r\n([\s\S]*?)\r\n--/.exec(text);
    if (!req.headers["content-type"]?.startsWith("multipart/form-data") || !match) {
      return json(res, 422, { title: "Invalid request", status: 422, detail: "file is required" }, "application/problem+json");
    }
    const id = String(stored.size + 1).padStart(32, "0");
    stored.set(id, { name: match[1], bytes: Buffer.from(match[2], "latin1") });
    return json(res, 201, { file_id: id, filename: match[1], size_bytes: stored.get(id).bytes.length });
  }
  const file = /^\/v1\/files\/([0-9a-f]+)$/.exec(req.url ?? "");
  if (file && stored.has(file[1])) {
    if (req.method === "GET") {
      const { name, bytes } = stored.get(file[1]);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-disposition": `attachment; filename=${name}` });
      return res.end(bytes);
    }
    if (req.method === "DELETE") {
      stored.delete(file[1]);
      res.writeHead(204);
      return res.end();
    }
  }
  return json(res, 404, { title: "Not found", status: 404, detail: `nothing at ${req.url}` }, "application/problem+json");
}

before(async () => {
  server = createServer((req, res) => { handle(req, res).catch((e) => { res.writeHead(500); res.end(String(e)); }); });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${server.address().port}`;
});

after(() => new Promise((resolve) => server.close(resolve)));

test("health answers the service status", async () => {
  const health = await new HealthClient(baseUrl, { fetch }).health();
  assert.equal(health.status, "ok");
  assert.equal(health.version, "1.0.0");
});

test("execute posts the request as snake_case JSON and returns the result", async () => {
  const result = await new ExecutionsClient(baseUrl, { fetch }).execute({ code: "print('hi')", timeout_ms: 5000 });

  const sent = requests.at(-1);
  assert.equal(sent.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(sent.body.toString("utf8")), { code: "print('hi')", timeout_ms: 5000 });
  assert.equal(result.stdout, "hi\n");
  assert.equal(result.exit_code, 0);
  assert.equal(result.timed_out, false);
  assert.equal(result.files[0].file_id, "f".repeat(32));
});

test("a 422 rejects with ApiException carrying the status and the problem details", async () => {
  await assert.rejects(
    new ExecutionsClient(baseUrl, { fetch }).execute({ code: "" }),
    (error) => {
      assert.ok(ApiException.isApiException(error));
      assert.equal(error.status, 422);
      assert.equal(error.result.detail, "code: code is required");
      assert.deepEqual(error.result.errors, { code: ["code is required"] });
      return true;
    });
});

test("upload sends the multipart field 'file'; download returns the bytes; delete removes the file", async () => {
  const files = new FilesClient(baseUrl, { fetch });
  const content = "a,b\n1,2\n";

  const uploaded = await files.upload({ data: new Blob([content]), fileName: "data.csv" });
  assert.equal(uploaded.filename, "data.csv");
  assert.equal(uploaded.size_bytes, content.length);

  const download = await files.download(uploaded.file_id);
  assert.equal(download.status, 200);
  assert.equal(download.fileName, "data.csv");
  assert.equal(Buffer.from(await download.data.arrayBuffer()).toString("utf8"), content);

  await files.delete(uploaded.file_id);
  await assert.rejects(files.download(uploaded.file_id), (error) => error.status === 404);
});
