/**
 * A model of the RDS Query API (2014-10-31) on loopback, for the DR drill's adapter driven by the real
 * `@aws-sdk/client-rds` client. Only the calls the drill makes, with the behaviour the RDS API reference
 * documents for them:
 * - DescribeDBInstanceAutomatedBackups / DescribeDBInstances page at 100 records (`Marker`); a
 *   DBInstanceIdentifier that does not exist is `DBInstanceNotFound` (404);
 * - RestoreDBInstanceToPointInTime needs an existing automated backups ARN
 *   (`DBInstanceAutomatedBackupNotFound`, 404), a DB subnet group of the region (`DBSubnetGroupNotFoundFault`,
 *   404), security groups of that VPC (`InvalidParameterCombination`, 400) and a free identifier
 *   (`DBInstanceAlreadyExists`, 400); the instance is `creating` until the
 *   restore is done, then `available` (or the state a failed restore ends in);
 * - DeleteDBInstance of an instance already `deleting` is `InvalidDBInstanceState` (400); a deleted instance
 *   stays `deleting` for a while, then is gone;
 * - throttling answers `Throttling` (400, "Rate exceeded"), which the SDK retries.
 * Error bodies are `<ErrorResponse><Error><Type/><Code/><Message/></Error>` (the Query protocol).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeBackup {
  arn: string;
  identifier: string;
  region: string;
  status: string;
  earliest?: Date;
  latest?: Date;
}

export interface FakeInstance {
  identifier: string;
  status: string;
  createdAt: number;
  tags: Record<string, string>;
  /** When the current transition (creating → final, deleting → gone) completes. */
  until?: number;
  final?: string;
  params?: Record<string, string>;
}

const XMLNS = "http://rds.amazonaws.com/doc/2014-10-31/";
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const tagsXml = (tags: Record<string, string>) =>
  `<TagList>${Object.entries(tags)
    .map(([k, v]) => `<Tag><Key>${esc(k)}</Key><Value>${esc(v)}</Value></Tag>`)
    .join("")}</TagList>`;

class RdsFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class FakeRds {
  readonly backups: FakeBackup[] = [];
  readonly instances = new Map<string, FakeInstance>();
  readonly subnetGroups = new Set<string>();
  /** Security groups of the DR VPC (the subnet group's): others are another VPC's. */
  readonly securityGroups = new Set<string>();
  readonly calls: { action: string; params: Record<string, string> }[] = [];
  /** Virtual ms a restore takes, and the state it ends in. */
  restoreMs = 25 * 60_000;
  restoreEndsIn = "available";
  deleteMs = 5 * 60_000;
  /** Answer this many next calls with Throttling. */
  throttle = 0;
  /** Where a restored instance listens (the test's Postgres). */
  endpoint = { address: "127.0.0.1", port: 5432 };
  private server?: Server;

  constructor(private readonly now: () => number) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const params = Object.fromEntries(new URLSearchParams(body));
        const { status, xml } = this.handle(params);
        res.writeHead(status, { "content-type": "text/xml" });
        res.end(xml);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private handle(params: Record<string, string>): { status: number; xml: string } {
    const action = params.Action;
    this.calls.push({ action, params });
    try {
      if (this.throttle > 0) {
        this.throttle--;
        throw new RdsFault(400, "Throttling", "Rate exceeded");
      }
      this.advance();
      const result = this.dispatch(action, params);
      return {
        status: 200,
        xml: `<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>r-${this.calls.length}</RequestId></ResponseMetadata></${action}Response>`,
      };
    } catch (e) {
      if (!(e instanceof RdsFault)) throw e;
      return {
        status: e.status,
        xml: `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${e.code}</Code><Message>${esc(e.message)}</Message></Error><RequestId>r-${this.calls.length}</RequestId></ErrorResponse>`,
      };
    }
  }

  /** Moves every instance through its transition once its time has come. */
  private advance(): void {
    for (const i of [...this.instances.values()]) {
      if (i.until === undefined || this.now() < i.until) continue;
      if (i.status === "deleting") this.instances.delete(i.identifier);
      else {
        i.status = i.final ?? "available";
        i.until = undefined;
      }
    }
  }

  private dispatch(action: string, p: Record<string, string>): string {
    switch (action) {
      case "DescribeDBInstanceAutomatedBackups":
        return this.describeBackups(p);
      case "DescribeDBInstances":
        return this.describeInstances(p);
      case "RestoreDBInstanceToPointInTime":
        return this.restore(p);
      case "DeleteDBInstance":
        return this.delete(p);
      default:
        throw new RdsFault(400, "InvalidAction", `The action ${action} is not valid for this web service.`);
    }
  }

  private page<T>(all: T[], marker: string | undefined): { items: T[]; next?: string } {
    const start = marker ? Number(marker) : 0;
    const items = all.slice(start, start + 100);
    return { items, next: start + 100 < all.length ? String(start + 100) : undefined };
  }

  private describeBackups(p: Record<string, string>): string {
    const { items, next } = this.page(this.backups, p.Marker);
    const xml = items
      .map(
        (b) =>
          `<DBInstanceAutomatedBackup><DBInstanceAutomatedBackupsArn>${b.arn}</DBInstanceAutomatedBackupsArn><DBInstanceIdentifier>${b.identifier}</DBInstanceIdentifier><Region>${b.region}</Region><Status>${b.status}</Status>${
            b.latest
              ? `<RestoreWindow><EarliestTime>${b.earliest!.toISOString()}</EarliestTime><LatestTime>${b.latest.toISOString()}</LatestTime></RestoreWindow>`
              : ""
          }<Engine>postgres</Engine></DBInstanceAutomatedBackup>`,
      )
      .join("");
    return `<DBInstanceAutomatedBackups>${xml}</DBInstanceAutomatedBackups>${next ? `<Marker>${next}</Marker>` : ""}`;
  }

  private instanceXml(i: FakeInstance): string {
    const endpoint =
      i.status === "available"
        ? `<Endpoint><Address>${this.endpoint.address}</Address><Port>${this.endpoint.port}</Port></Endpoint>`
        : "";
    return `<DBInstance><DBInstanceIdentifier>${i.identifier}</DBInstanceIdentifier><DBInstanceStatus>${i.status}</DBInstanceStatus>${endpoint}<InstanceCreateTime>${new Date(i.createdAt).toISOString()}</InstanceCreateTime>${tagsXml(i.tags)}</DBInstance>`;
  }

  private describeInstances(p: Record<string, string>): string {
    if (p.DBInstanceIdentifier) {
      const i = this.instances.get(p.DBInstanceIdentifier);
      if (!i) throw new RdsFault(404, "DBInstanceNotFound", `DBInstance ${p.DBInstanceIdentifier} not found.`);
      return `<DBInstances>${this.instanceXml(i)}</DBInstances>`;
    }
    const { items, next } = this.page([...this.instances.values()], p.Marker);
    return `<DBInstances>${items.map((i) => this.instanceXml(i)).join("")}</DBInstances>${next ? `<Marker>${next}</Marker>` : ""}`;
  }

  private restore(p: Record<string, string>): string {
    const id = p.TargetDBInstanceIdentifier;
    if (!this.backups.some((b) => b.arn === p.SourceDBInstanceAutomatedBackupsArn))
      throw new RdsFault(
        404,
        "DBInstanceAutomatedBackupNotFound",
        `Automated backup ${p.SourceDBInstanceAutomatedBackupsArn} not found`,
      );
    if (!this.subnetGroups.has(p.DBSubnetGroupName))
      throw new RdsFault(404, "DBSubnetGroupNotFoundFault", `DB subnet group '${p.DBSubnetGroupName}' does not exist.`);
    const groups = Object.entries(p)
      .filter(([k]) => /^VpcSecurityGroupIds\.[A-Za-z]+\.\d+$/.test(k))
      .map(([, v]) => v);
    const foreign = groups.filter((g) => !this.securityGroups.has(g));
    if (foreign.length)
      throw new RdsFault(
        400,
        "InvalidParameterCombination",
        `The DB instance and EC2 security group ${foreign[0]} are in different VPCs.`,
      );
    if (this.instances.has(id)) throw new RdsFault(400, "DBInstanceAlreadyExists", "DB instance already exists");
    const tags: Record<string, string> = {};
    for (const [k, v] of Object.entries(p)) {
      const m = /^Tags\.[A-Za-z]+\.(\d+)\.Key$/.exec(k);
      if (m) tags[v] = p[k.replace(/Key$/, "Value")] ?? "";
    }
    const i: FakeInstance = {
      identifier: id,
      status: "creating",
      createdAt: this.now(),
      tags,
      until: this.now() + this.restoreMs,
      final: this.restoreEndsIn,
      params: p,
    };
    this.instances.set(id, i);
    return this.instanceXml(i);
  }

  private delete(p: Record<string, string>): string {
    const i = this.instances.get(p.DBInstanceIdentifier);
    if (!i) throw new RdsFault(404, "DBInstanceNotFound", `DBInstance ${p.DBInstanceIdentifier} not found.`);
    if (i.status === "deleting")
      throw new RdsFault(400, "InvalidDBInstanceState", `Instance ${i.identifier} is already being deleted.`);
    i.status = "deleting";
    i.until = this.now() + this.deleteMs;
    i.final = undefined;
    return this.instanceXml(i);
  }
}
