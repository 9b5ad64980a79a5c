import * as assert from "node:assert/strict";
import { defaultsFor } from "../../config/defaults";
import { formatProblems, parseConfig } from "../../config/load";
import { RULE_EXAMPLES } from "../support/readiness-examples";
import { rawConfig, STACKS, type StackName, validConfig } from "../support/stacks";

// biome-ignore lint/suspicious/noExplicitAny: tests mutate arbitrary config paths
type Raw = Record<string, any>;

function mutated(stack: StackName, mutate: (c: Raw) => void): Raw {
  const c = structuredClone(rawConfig(stack)) as Raw;
  mutate(c);
  return c;
}

function problemsOf(stack: StackName, raw: Raw) {
  const r = parseConfig(raw, stack);
  assert.equal(r.ok, false, "expected the config to be rejected");
  return r.ok ? [] : r.problems;
}

describe("config schema", () => {
  for (const stack of STACKS) {
    it(`accepts the committed ${stack} stack file`, () => {
      const c = validConfig(stack);
      assert.equal(c.environment, stack);
    });
  }

  const cases: { name: string; stack: StackName; key: string; mutate: (c: Raw) => void; expect?: RegExp }[] = [
    {
      name: "missing required key",
      stack: "staging",
      key: "app:release.approver",
      mutate: (c) => delete c.release.approver,
      expect: /not set/,
    },
    { name: "missing section", stack: "prod", key: "app:release", mutate: (c) => delete c.release, expect: /section/ },
    {
      name: "wrong type",
      stack: "staging",
      key: "app:api.replicas",
      mutate: (c) => (c.api.replicas = "three"),
      expect: /expected a number; found "three"/,
    },
    {
      name: "OIDC enabled without issuer",
      stack: "prod",
      key: "app:auth.oidc.issuer",
      mutate: (c) => delete c.auth.oidc.issuer,
      expect: /auth\.oidc\.enabled is true/,
    },
    {
      name: "OIDC enabled without audience",
      stack: "prod",
      key: "app:auth.oidc.audience",
      mutate: (c) => delete c.auth.oidc.audience,
    },
    {
      name: "OIDC enabled without JWKS or HS256 secret",
      stack: "staging",
      key: "app:auth.oidc.jwksJson",
      mutate: (c) => delete c.auth.oidc.jwksJson,
      expect: /oidcHs256SharedSecret/,
    },
    {
      name: "OIDC JWKS that is not JSON",
      stack: "staging",
      key: "app:auth.oidc.jwksJson",
      mutate: (c) => (c.auth.oidc.jwksJson = "{keys"),
      expect: /JSON document/,
    },
    {
      name: "SAML enabled without metadata URL",
      stack: "prod",
      key: "app:auth.saml.idpMetadataUrl",
      mutate: (c) => delete c.auth.saml.idpMetadataUrl,
    },
    {
      name: "SAML enabled without role mappings",
      stack: "prod",
      key: "app:auth.saml.roleMappings",
      mutate: (c) => (c.auth.saml.roleMappings = []),
    },
    {
      name: "canaryWeight 150",
      stack: "staging",
      key: "app:blueGreen.canaryWeight",
      mutate: (c) => (c.blueGreen.canaryWeight = 150),
      expect: /0 to 100; found 150/,
    },
    {
      name: "latest image tag",
      stack: "prod",
      key: "app:blueGreen.green.image",
      mutate: (c) => (c.blueGreen.green.image = `${c.api.imageRepository}:latest`),
      expect: /immutable image reference/,
    },
    {
      name: "image without tag",
      stack: "prod",
      key: "app:blueGreen.blue.image",
      mutate: (c) => (c.blueGreen.blue.image = c.api.imageRepository),
    },
    {
      name: "image from another repository",
      stack: "prod",
      key: "app:blueGreen.blue.image",
      mutate: (c) => (c.blueGreen.blue.image = "evil.example.com/api:sha-1a2b3c4"),
      expect: /api\.imageRepository/,
    },
    {
      name: "mutable worker image",
      stack: "staging",
      key: "app:worker.image",
      mutate: (c) => (c.worker.image = "repo/worker:v1"),
    },
    {
      name: "release window end before start",
      stack: "prod",
      key: "app:release.window.end",
      mutate: (c) => (c.release.window.end = "2026-11-25T08:00:00Z"),
      expect: /after release\.window\.start/,
    },
    {
      name: "release window longer than a day",
      stack: "prod",
      key: "app:release.window.end",
      mutate: (c) => (c.release.window.end = "2026-11-27T08:00:00Z"),
      expect: /24 hours/,
    },
    {
      name: "release window not ISO",
      stack: "staging",
      key: "app:release.window.start",
      mutate: (c) => (c.release.window.start = "tomorrow 9am"),
      expect: /ISO-8601/,
    },
    {
      name: "unknown environment",
      stack: "prod",
      key: "app:environment",
      mutate: (c) => (c.environment = "production"),
      expect: /"staging", "prod"/,
    },
    {
      name: "unknown live color",
      stack: "prod",
      key: "app:blueGreen.live",
      mutate: (c) => (c.blueGreen.live = "purple"),
    },
    {
      name: "PITR disabled (0 days)",
      stack: "staging",
      key: "app:database.pitrRetentionDays",
      mutate: (c) => (c.database = { ...c.database, pitrRetentionDays: 0 }),
      expect: /disables point-in-time/,
    },
    {
      name: "typo in a key",
      stack: "staging",
      key: "app:blueGreen.canaryWieght",
      mutate: (c) => (c.blueGreen.canaryWieght = 5),
      expect: /did you mean canaryWeight/,
    },
    {
      name: "rollout steps not increasing to 100",
      stack: "staging",
      key: "app:rollout.steps",
      mutate: (c) => (c.rollout.steps = [50, 10]),
    },
    {
      name: "bake shorter than the evaluation window of the traffic gates",
      stack: "staging",
      key: "app:rollout.bakeMinutes",
      mutate: (c) => (c.rollout.bakeMinutes = 3),
      expect: /expected at least 6 min: one full evaluation window of the alarms gating traffic steps/,
    },
    {
      name: "database gating the traffic bakes of a 5-minute staging bake (15-minute window)",
      stack: "staging",
      key: "app:rollout.bakeMinutes",
      mutate: (c) => (c.rollout.gates = { traffic: ["new-color", "database"] }),
      expect: /expected at least 16 min/,
    },
    {
      name: "watch shorter than the worker alarms' window",
      stack: "staging",
      key: "app:rollout.watchMinutes",
      mutate: (c) => (c.rollout.watchMinutes = 10),
      expect: /expected 0 or at least 16 min/,
    },
    {
      name: "worker gating traffic steps while it is paused for the migration",
      stack: "staging",
      key: "app:rollout.gates.traffic",
      mutate: (c) => (c.rollout.gates = { traffic: ["new-color", "worker"] }),
      expect: /expected no worker signal while app:rollout.pauseWorkerDuringMigration is true/,
    },
    {
      name: "a pinned minor engine version while minor versions auto-upgrade",
      stack: "prod",
      key: "app:database.engineVersion",
      mutate: (c) => (c.database.engineVersion = "16.4"),
      expect: /expected the Postgres major version only, such as 16/,
    },
    {
      name: "unknown gating signal",
      stack: "staging",
      key: "app:rollout.gates.traffic[0]",
      mutate: (c) => (c.rollout.gates = { traffic: ["new-colour"] }),
      expect: /new-color/,
    },
    {
      name: "unrestricted test listener",
      stack: "staging",
      key: "app:tls.testListenerCidrs",
      mutate: (c) => (c.tls.testListenerCidrs = []),
      expect: /must be restricted/,
    },
    {
      name: "a private range on the internet-facing ALB's test listener (it only sees public sources)",
      stack: "prod",
      key: "app:tls.testListenerCidrs[1]",
      mutate: (c) => (c.tls.testListenerCidrs = ["203.0.113.0/24", "10.0.0.0/16"]),
      expect: /expected a public CIDR .*internet-facing/,
    },
    {
      name: "a carrier-NAT range on the test listener",
      stack: "staging",
      key: "app:tls.testListenerCidrs[0]",
      mutate: (c) => (c.tls.testListenerCidrs = ["100.64.0.0/10"]),
      expect: /expected a public CIDR/,
    },
    {
      name: "both platform stack and explicit ids",
      stack: "staging",
      key: "app:network.platformStack",
      mutate: (c) => (c.network.platformStack = "acme/platform/staging"),
    },
    {
      name: "release commit not a sha",
      stack: "prod",
      key: "app:release.commit",
      mutate: (c) => (c.release.commit = "HEAD"),
    },
    {
      name: "a restore from both a point in time and a snapshot",
      stack: "prod",
      key: "app:database.restore.snapshotIdentifier",
      mutate: (c) =>
        (c.database.restore = {
          name: "x",
          restoreTime: "2026-11-24T09:55:00Z",
          snapshotIdentifier: "artifortress-prod-pre-1-4-0-1a2b3c4",
        }),
      expect: /either restoreTime \(point in time\) or snapshotIdentifier \(a snapshot\), not both/,
    },
    {
      name: "a TLS policy the readiness pack refuses (one list: policy/lib/tls.ts)",
      stack: "prod",
      key: "app:tls.sslPolicy",
      mutate: (c) => (c.tls.sslPolicy = "ELBSecurityPolicy-TLS-1-2-2017-01"),
      expect: /expected one of the TLS policies the readiness checklist allows: ELBSecurityPolicy-TLS13-1-2-2021-06/,
    },
    {
      name: "retiring a restored instance that the app was cut over to",
      stack: "prod",
      key: "app:database.restore.retire",
      mutate: (c) => (c.database.restore = { name: "x", cutover: true, retire: true }),
      expect: /no retire after a cutover: the restored instance is the primary/,
    },
    {
      name: "retiring the original before the cutover",
      stack: "prod",
      key: "app:database.restore.original",
      mutate: (c) => (c.database.restore = { name: "x", original: "retire" }),
      expect: /restore.cutover: true first/,
    },
    {
      name: "a release version too long for Kubernetes names and labels",
      stack: "prod",
      key: "app:release.version",
      mutate: (c) => (c.release.version = "1.4.0-rc.20261125.build.0123456789abcdef0123456789abcdef012345"),
      expect: /at most 32 characters: the version names Kubernetes Jobs and the label rollout\/release-id/,
    },
    {
      name: "cross-region PITR without a DR region",
      stack: "staging",
      key: "app:database.crossRegionPitr",
      mutate: (c) => (c.database.crossRegionPitr = true),
      expect: /app:backups.crossRegionCopy.region to name the DR region/,
    },
    {
      name: "an integrity check that writes",
      stack: "staging",
      key: "app:database.integrityChecks[0].query",
      mutate: (c) => (c.database.integrityChecks = [{ name: "x", query: "DELETE FROM repos", expect: { rows: 0 } }]),
      expect: /expected one SELECT/,
    },
    {
      name: "two statements in one integrity check",
      stack: "staging",
      key: "app:database.integrityChecks[0].query",
      mutate: (c) =>
        (c.database.integrityChecks = [{ name: "x", query: "SELECT 1; DROP TABLE repos", expect: { rows: 0 } }]),
      expect: /one SELECT \(or WITH … SELECT\) statement/,
    },
    {
      name: "integrity checks with the same name",
      stack: "staging",
      key: "app:database.integrityChecks[1].name",
      mutate: (c) =>
        (c.database.integrityChecks = [
          { name: "x", query: "SELECT 1 WHERE false", expect: { rows: 0 } },
          { name: "x", query: "SELECT 1", expect: { value: 1 } },
        ]),
      expect: /'x' repeats/,
    },
    {
      name: "certificate not an ACM ARN",
      stack: "prod",
      key: "app:tls.certificateArn",
      mutate: (c) => (c.tls.certificateArn = "arn:aws:iam::123456789012:server-certificate/x"),
    },
  ];

  // The readiness rules' examples (one per prod rule, test/support/readiness-examples.ts), with the item named.
  const readiness = RULE_EXAMPLES.map((e) => ({
    name: `${e.what} [readiness ${e.item}]`,
    stack: "prod" as StackName,
    key: e.key,
    mutate: e.mutate,
    expect: new RegExp(`\\[readiness: ${e.item}\\]`),
  }));

  for (const tc of [...cases, ...readiness]) {
    it(`rejects ${tc.name} at ${tc.key}`, () => {
      const problems = problemsOf(tc.stack, mutated(tc.stack, tc.mutate));
      const p = problems.find((x) => x.key === tc.key);
      assert.ok(p, `no problem at ${tc.key}; got ${problems.map((x) => x.key).join(", ")}`);
      assert.match(p.fix, /^pulumi config (set|rm) /);
      assert.match(p.fix, new RegExp(`--stack ${tc.stack}`));
      if (tc.expect) assert.match(`${p.expected}; found ${p.found}`, tc.expect);
    });
  }

  it("reports several problems at once", () => {
    const problems = problemsOf(
      "staging",
      mutated("staging", (c) => {
        c.blueGreen.canaryWeight = 150;
        delete c.release.onCall;
        c.api.port = 0;
      }),
    );
    assert.deepEqual(problems.map((p) => p.key).sort(), [
      "app:api.port",
      "app:blueGreen.canaryWeight",
      "app:release.onCall",
    ]);
  });

  it("never echoes a secret value and tells to set it with --secret", () => {
    const secret = "too-short-secret-value";
    const problems = problemsOf(
      "staging",
      mutated("staging", (c) => (c.oidcHs256SharedSecret = secret)),
    );
    const text = formatProblems(problems, "staging");
    assert.ok(!text.includes(secret), "the secret value leaked into the message");
    const p = problems.find((x) => x.key === "app:oidcHs256SharedSecret");
    assert.ok(p);
    assert.equal(p.fix, "pulumi config set --secret app:oidcHs256SharedSecret <value> --stack staging");
  });

  it("accepts OIDC with an HS256 shared secret instead of JWKS", () => {
    const raw = mutated("staging", (c) => {
      delete c.auth.oidc.jwksJson;
      c.oidcHs256SharedSecret = "x".repeat(48);
    });
    assert.equal(parseConfig(raw, "staging").ok, true);
  });

  it("formats every problem with key, expectation, finding and fix", () => {
    const problems = problemsOf(
      "prod",
      mutated("prod", (c) => (c.blueGreen.canaryWeight = 150)),
    );
    const text = formatProblems(problems, "prod");
    assert.match(text, /Stack 'prod' has 1 configuration problem/);
    assert.match(text, /✗ app:blueGreen\.canaryWeight: expected a percentage from 0 to 100; found 150\./);
    assert.match(text, /fix: pulumi config set --path 'app:blueGreen\.canaryWeight' 10 --stack prod/);
  });

  it("stops at an invalid environment instead of cascading missing-default errors", () => {
    const problems = problemsOf(
      "prod",
      mutated("prod", (c) => delete c.environment),
    );
    assert.deepEqual(
      problems.map((p) => p.key),
      ["app:environment"],
    );
  });
});

describe("environment defaults", () => {
  const minimal = (env: "staging" | "prod") =>
    mutated(env, (c) => {
      delete c.api.replicas;
      delete c.database.pitrRetentionDays;
      delete c.database.multiAz;
      delete c.backups.dailyRetentionDays;
    });

  it("prod defaults are stricter than staging defaults", () => {
    const s = parseConfig(minimal("staging"), "staging");
    const p = parseConfig(minimal("prod"), "prod");
    assert.ok(s.ok && p.ok);
    assert.equal(s.config.database.multiAz, false);
    assert.equal(p.config.database.multiAz, true);
    assert.equal(s.config.database.pitrRetentionDays, 7);
    assert.equal(p.config.database.pitrRetentionDays, 14);
    assert.equal(s.config.api.replicas, 2);
    assert.equal(p.config.api.replicas, 3);
    assert.ok(p.config.backups.dailyRetentionDays > s.config.backups.dailyRetentionDays);
    assert.equal(p.config.database.instanceClass, defaultsFor("prod").database?.instanceClass);
  });

  it("the stack file wins over defaults", () => {
    const prod = validConfig("prod");
    assert.equal(prod.api.replicas, 4, "Pulumi.prod.yaml sets app:api.replicas 4 over the default 3");
    assert.equal(prod.database.pitrRetentionDays, 21);
    const staging = validConfig("staging");
    assert.equal(
      staging.rollout.bakeMinutes,
      6,
      "Pulumi.staging.yaml sets app:rollout.bakeMinutes 6 over the default 15",
    );
    assert.deepEqual(staging.rollout.steps, [10, 50, 100], "unset keys keep the common default");
  });
});
