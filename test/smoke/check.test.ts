import * as assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { main } from "../../smoke/cli";

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A real HTTP server on loopback that plays the app. */
async function serve(handler: Handler): Promise<{ url: string; close: () => Promise<void>; hosts: string[] }> {
  const hosts: string[] = [];
  const server = http.createServer((req, res) => {
    hosts.push(req.headers.host ?? "");
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hosts,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function app(opts: { ready?: boolean; version?: string; hang?: boolean }): Handler {
  return (req, res) => {
    if (opts.hang) return; // never answers
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.url === "/health/ready")
      return opts.ready === false ? json(503, { status: "starting" }) : json(200, { status: "ready" });
    if (req.url === "/health/live") return json(200, { status: "live" });
    if (req.url === "/version") return json(200, { service: "artifortress-api", version: opts.version ?? "1.4.0" });
    json(404, {});
  };
}

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    args,
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const fast = ["--deadline", "0.3", "--interval", "0.1", "--timeout", "0.15"];

describe("smoke-test CLI against a real local HTTP server", () => {
  it("passes (exit 0) on a healthy app reporting the expected version", async () => {
    const s = await serve(app({}));
    try {
      const r = await run(["--url", s.url, "--expect-version", "1.4.0", ...fast]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /smoke test passed against .* \(version 1\.4\.0\) after 1 attempt/);
    } finally {
      await s.close();
    }
  });

  it("fails (exit 1) when /health/ready is not ready, after retrying until the deadline", async () => {
    const s = await serve(app({ ready: false }));
    try {
      const r = await run(["--url", s.url, "--expect-version", "1.4.0", ...fast]);
      assert.equal(r.code, 1);
      assert.match(
        r.err,
        /smoke test FAILED .* after [2-9] attempt\(s\): \/health\/ready answered HTTP 503, expected 200/,
      );
    } finally {
      await s.close();
    }
  });

  it("fails (exit 1) when /version reports another release", async () => {
    const s = await serve(app({ version: "1.3.9" }));
    try {
      const r = await run(["--url", s.url, "--expect-version", "1.4.0", ...fast]);
      assert.equal(r.code, 1);
      assert.match(r.err, /\/version reports "1\.3\.9", expected "1\.4\.0" \(wrong image on this color\?\)/);
    } finally {
      await s.close();
    }
  });

  it("fails (exit 1) with a timeout when the app never answers", async () => {
    const s = await serve(app({ hang: true }));
    try {
      const r = await run(["--url", s.url, "--expect-version", "1.4.0", ...fast]);
      assert.equal(r.code, 1);
      assert.match(r.err, /\/health\/ready: timed out after 150 ms/);
    } finally {
      await s.close();
    }
  });

  it("fails (exit 1) with 'connection refused' when nothing listens", async () => {
    const s = await serve(app({}));
    const url = s.url;
    await s.close();
    const r = await run(["--url", url, "--expect-version", "1.4.0", ...fast]);
    assert.equal(r.code, 1);
    assert.match(r.err, /connection refused/);
  });

  it("connects to --connect-to while sending the URL's host (test listener behind the ALB name)", async () => {
    const s = await serve(app({}));
    try {
      const port = new URL(s.url).port;
      const r = await run([
        "--url",
        `http://api.example.com:${port}`,
        "--connect-to",
        "127.0.0.1",
        "--expect-version",
        "1.4.0",
        ...fast,
      ]);
      assert.equal(r.code, 0, r.err);
      assert.ok(
        s.hosts.every((h) => h === `api.example.com:${port}`),
        s.hosts.join(","),
      );
    } finally {
      await s.close();
    }
  });

  it("exits 2 with usage on missing arguments", async () => {
    const r = await run(["--url", "http://127.0.0.1:1"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /--url and --expect-version are required/);
  });
});
