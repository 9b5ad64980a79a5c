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

/** The API's admin routes for the checks list: Bearer token, a repo, drafts that can be published. */
function adminApp(token: string, seen: { path: string; body: string; auth?: string }[], fail?: string): Handler {
  const base = app({});
  let drafts = 0;
  return (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (!path.startsWith("/v1/")) return base(req, res);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({ path: req.url ?? "", body: Buffer.concat(chunks).toString(), auth: req.headers.authorization });
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${token}`) return json(401, { error: "unauthorized" });
      if (fail && path.includes(fail)) return json(500, { error: "boom" });
      if (path === "/v1/admin/ops/summary") return json(200, { searchJobs: { failed: 0 } });
      if (path === "/v1/repos") return json(200, { items: [{ id: "r-7" }] });
      if (req.method === "POST" && path === "/v1/repos/r-7/drafts") return json(201, { id: `d-${++drafts}` });
      if (req.method === "POST" && /^\/v1\/drafts\/d-\d+\/publish$/.test(path))
        return json(200, { state: "published" });
      json(404, {});
    });
  };
}

const CHECKS = {
  service: "artifortress-api",
  opsSummary: { path: "/v1/admin/ops/summary", critical: [] },
  flow: [
    {
      name: "repo read",
      method: "GET",
      path: "/v1/repos?limit=1",
      auth: "admin",
      status: 200,
      save: { repoId: "items.0.id" },
    },
    {
      name: "draft",
      method: "POST",
      path: "/v1/repos/{repoId}/drafts",
      auth: "admin",
      body: { title: "smoke {repoId}" },
      status: 201,
      save: { draftId: "id" },
    },
    {
      name: "publish",
      method: "POST",
      path: "/v1/drafts/{draftId}/publish",
      auth: "admin",
      status: 200,
      expect: { state: "published" },
    },
  ],
};

describe("smoke-test CLI: the application's checks (SMOKE_CHECKS, SMOKE_ADMIN_TOKEN) against a real local HTTP server", () => {
  const TOKEN = "t0ken-only-in-the-environment-7f3a";
  async function withEnv<T>(env: Record<string, string>, f: () => Promise<T>): Promise<T> {
    const before = { ...process.env };
    Object.assign(process.env, env);
    try {
      return await f();
    } finally {
      for (const k of Object.keys(env)) if (before[k] === undefined) delete process.env[k];
    }
  }

  it("authenticated ops summary and a 3-step flow carrying values between steps: exit 0", async () => {
    const seen: { path: string; body: string; auth?: string }[] = [];
    const s = await serve(adminApp(TOKEN, seen));
    try {
      const r = await withEnv({ SMOKE_CHECKS: JSON.stringify(CHECKS), SMOKE_ADMIN_TOKEN: TOKEN }, () =>
        run(["--url", s.url, "--expect-version", "1.4.0", ...fast]),
      );
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /\/v1\/admin\/ops\/summary 200; smoke flow: 3 step\(s\) passed/);
      assert.deepEqual(
        seen.map((x) => x.path),
        ["/v1/admin/ops/summary", "/v1/repos?limit=1", "/v1/repos/r-7/drafts", "/v1/drafts/d-1/publish"],
      );
      assert.deepEqual(JSON.parse(seen[2].body), { title: "smoke r-7" }, "saved values fill bodies too");
      assert.ok(!`${r.out}${r.err}`.includes(TOKEN), "the token is never printed");
    } finally {
      await s.close();
    }
  });

  it("a failing step fails the smoke test (exit 1) naming the step, its request and the status", async () => {
    const s = await serve(adminApp(TOKEN, [], "publish"));
    try {
      const r = await withEnv({ SMOKE_CHECKS: JSON.stringify(CHECKS), SMOKE_ADMIN_TOKEN: TOKEN }, () =>
        run(["--url", s.url, "--expect-version", "1.4.0", ...fast]),
      );
      assert.equal(r.code, 1);
      assert.match(
        r.err,
        /smoke flow failed at step publish \(POST \/v1\/drafts\/d-1\/publish\): HTTP 500, expected 200/,
      );
    } finally {
      await s.close();
    }
  });

  it("a wrong admin token: the privileged endpoint refuses it (exit 1), the flow does not run", async () => {
    const seen: { path: string; body: string }[] = [];
    const s = await serve(adminApp(TOKEN, seen));
    try {
      const r = await withEnv({ SMOKE_CHECKS: JSON.stringify(CHECKS), SMOKE_ADMIN_TOKEN: "stale-token" }, () =>
        run(["--url", s.url, "--expect-version", "1.4.0", ...fast]),
      );
      assert.equal(r.code, 1);
      assert.match(r.err, /\/v1\/admin\/ops\/summary refused the admin token \(HTTP 401\)/);
      assert.deepEqual(
        seen.map((x) => x.path),
        ["/v1/admin/ops/summary"],
      );
    } finally {
      await s.close();
    }
  });

  it("/version naming another service fails (exit 1); a malformed SMOKE_CHECKS is a usage error (exit 2)", async () => {
    const s = await serve(app({}));
    try {
      const other = await withEnv(
        { SMOKE_CHECKS: JSON.stringify({ ...CHECKS, service: "billing-api", flow: [] }) },
        () => run(["--url", s.url, "--expect-version", "1.4.0", ...fast]),
      );
      assert.equal(other.code, 1);
      assert.match(other.err, /\/version names service "artifortress-api", expected "billing-api"/);
      const bad = await withEnv({ SMOKE_CHECKS: "{not json" }, () =>
        run(["--url", s.url, "--expect-version", "1.4.0", ...fast]),
      );
      assert.equal(bad.code, 2);
      assert.match(bad.err, /SMOKE_CHECKS: not JSON/);
    } finally {
      await s.close();
      delete process.env.SMOKE_CHECKS;
    }
  });
});

describe("smoke flow values (smoke/checks.ts runFlow)", () => {
  it('path values are URL-encoded, an exact "{var}" body keeps its type, a status list accepts a retry\'s 409', async () => {
    const { runFlow } = await import("../../smoke/checks");
    const seen: { method: string; path: string; body?: string }[] = [];
    const send = async (r: { method: string; path: string; body?: string }) => {
      seen.push(r);
      if (r.path === "/v1/repos/acme%2Fcore")
        return { status: 200, body: JSON.stringify({ id: 7, owner: { name: "a" } }) };
      if (r.path === "/v1/repos/7/drafts") return { status: 409, body: JSON.stringify({ id: "d-1" }) };
      return { status: 404, body: "{}" };
    };
    const r = await runFlow(
      send,
      [
        {
          name: "repo",
          method: "GET",
          path: "/v1/repos/{repo}",
          auth: "none",
          status: 200,
          save: { repoId: "id", owner: "owner" },
        },
        {
          name: "draft",
          method: "POST",
          path: "/v1/repos/{repoId}/drafts",
          auth: "none",
          body: { repo: "{repoId}", owner: "{owner}", title: "smoke {releaseId}" },
          status: [201, 409],
        },
      ],
      undefined,
      { repo: "acme/core", releaseId: "1-5-0-9f8e7d6" },
    );
    assert.equal(r.ok, true, r.detail);
    assert.deepEqual(JSON.parse(seen[1].body ?? "{}"), { repo: 7, owner: { name: "a" }, title: "smoke 1-5-0-9f8e7d6" });
  });
});
