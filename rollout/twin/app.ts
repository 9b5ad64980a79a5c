/**
 * The application the twin runs on each color: a real HTTP server on loopback answering like the API
 * would (`/health/live`, `/health/ready`, `/version`), so the project's real smoke test runs against it.
 * Which color a request reaches is the Host it names (`api-<color>.<namespace>.svc…`, the color's
 * Service), and what that color answers is derived from the image the cloud runs there and the scenario:
 * the version the image reports, whether it is ready, its error rate and latency at a given time.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Color } from "../../components/blue-green";

export interface ColorBehaviour {
  /** `/health/ready` answers 503 `{"status":"not-ready"}`. @default ready */
  notReady?: boolean;
  /** `/version` reports this instead of the image's version. */
  version?: string;
  /** Fraction (0–1) of requests answered 5xx (drives the CloudWatch model). @default 0.001 */
  errorRate?: number;
  /** p95 latency in seconds. @default 0.12 */
  p95Seconds?: number;
  /** Smoke-flow steps (by path fragment, e.g. `publish`) this color answers 500. */
  flowFails?: string;
}

export interface AppModel {
  /** The image the color runs now (from the cloud's Deployment), or undefined when it runs none. */
  imageOf(color: Color): string | undefined;
  /** The version an image reports on `/version`. */
  versionOf(image: string): string;
  /** Scripted behaviour of a color at time `ms` (scenario). */
  behaviour(color: Color, ms: number): ColorBehaviour;
  now(): number;
  /** The admin token the app accepts (its bootstrap token from Secrets Manager). */
  adminToken(): string;
  /** The ops summary counters at `ms` (app-wide: both colors share the database). */
  opsCounters(ms: number): Record<string, unknown>;
}

export const SERVICE_NAME = "artifortress-api";

/** Color named by a Host header such as `api-green.artifortress.svc.cluster.local:8080`. */
export function colorOfHost(host: string | undefined): Color | undefined {
  const m = /^api-(blue|green)[.:]/.exec(host ?? "");
  return m ? (m[1] as Color) : undefined;
}

export class TwinApp {
  private server?: http.Server;
  /** Every request answered: time, color, path, status (the twin reports smoke-test runs from it). */
  readonly requests: { at: number; color?: Color; path: string; status: number }[] = [];

  constructor(private readonly model: AppModel) {}

  async start(): Promise<number> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    return (this.server.address() as AddressInfo).port;
  }

  close(): void {
    this.server?.close();
  }

  /** The admin routes of the API the smoke flow and the ops summary use (runbook 001 §4.7–4.8). */
  private admin(
    method: string,
    path: string,
    b: ColorBehaviour,
    reply: (status: number, body: unknown) => void,
  ): boolean {
    if (b.flowFails && path.includes(b.flowFails)) {
      reply(500, { error: "internal error" });
      return true;
    }
    if (method === "GET" && path === "/v1/admin/ops/summary") reply(200, this.model.opsCounters(this.model.now()));
    else if (method === "GET" && path === "/v1/auth/whoami") reply(200, { subject: "bootstrap", role: "admin" });
    else if (method === "GET" && /^\/v1\/repos\/[^/]+$/.test(path))
      reply(200, { id: `r-${decodeURIComponent(path.split("/")[3])}` });
    else if (method === "POST" && /^\/v1\/repos\/[^/]+\/drafts$/.test(path))
      reply(201, { id: `d-${++this.drafts}`, state: "draft" });
    else if (method === "POST" && /^\/v1\/drafts\/d-\d+\/publish$/.test(path)) reply(200, { state: "published" });
    else return false;
    return true;
  }

  private drafts = 0;

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const color = colorOfHost(req.headers.host);
    const path = (req.url ?? "/").split("?")[0];
    const reply = (status: number, body: unknown) => {
      this.requests.push({ at: this.model.now(), color, path, status });
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const image = color && this.model.imageOf(color);
    if (!color || !image) {
      reply(503, { error: "no such service" });
      return;
    }
    const b = this.model.behaviour(color, this.model.now());
    if (path === "/health/live") reply(200, { status: "live" });
    else if (path === "/health/ready") reply(b.notReady ? 503 : 200, { status: b.notReady ? "not-ready" : "ready" });
    else if (path === "/version")
      reply(200, { service: SERVICE_NAME, version: b.version ?? this.model.versionOf(image), image });
    else if (path.startsWith("/v1/")) {
      if (req.headers.authorization !== `Bearer ${this.model.adminToken()}`) reply(401, { error: "unauthorized" });
      else if (!this.admin(req.method ?? "GET", path, b, reply)) reply(404, { error: `no route ${path}` });
      req.resume();
    } else reply(404, { error: `no route ${path}` });
  }
}
