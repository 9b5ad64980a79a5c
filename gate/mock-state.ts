/**
 * Plausible outputs for mocked resources and provider functions. The engine is absent, so something must
 * answer what AWS would: ARNs, ids, `arnSuffix` for CloudWatch dimensions, endpoints. Values are derived
 * from the logical name so that two runs of the same program produce the same plan.
 */
import type * as pulumi from "@pulumi/pulumi";

export const MOCK_ACCOUNT = "123456789012";

/** Regional Elastic Load Balancing accounts (access-log delivery), a few regions. */
const ELB_ACCOUNTS: Record<string, string> = {
  "us-east-1": "127311923021",
  "eu-west-1": "156460612806",
  "eu-central-1": "054676820928",
};

function regionOf(config: Record<string, string>): string {
  return config["aws:region"] ?? "eu-central-1";
}

/** Short deterministic hex derived from a name (FNV-1a), for suffixes such as target group ids. */
export function shortHash(s: string, len = 16): string {
  let h = 0x811c9dc5;
  let out = "";
  for (let round = 0; out.length < len; round++) {
    for (const ch of `${round}:${s}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, "0");
  }
  return out.slice(0, len);
}

type State = Record<string, unknown>;
type Args = pulumi.runtime.MockResourceArgs;

const SERVICE_BY_MODULE: Record<string, string> = {
  lb: "elasticloadbalancing",
  rds: "rds",
  kms: "kms",
  iam: "iam",
  sns: "sns",
  secretsmanager: "secretsmanager",
  backup: "backup",
  cloudwatch: "cloudwatch",
  ec2: "ec2",
  s3: "s3",
  ssm: "ssm",
};

/** What the state of one mocked resource is derived from. */
interface Mocked {
  args: Args;
  inputs: State;
  /** The region the resource lives in. */
  region: string;
  /** Its physical name: the `name` input, else the logical name with a hash suffix. */
  physical: string;
}

export function defaultMockState(config: Record<string, string>): (args: Args) => State {
  const providerRegion = regionOf(config);
  return (args) => {
    const inputs = (args.inputs ?? {}) as State;
    // AWS resources may name their own region (aws v7 `region` argument), e.g. the cross-region backup vault.
    const region = typeof inputs.region === "string" ? inputs.region : providerRegion;
    const [pkg, mod] = args.type.split(":");
    const physical = typeof inputs.name === "string" ? inputs.name : `${args.name}-${shortHash(args.name, 7)}`;
    const m: Mocked = { args, inputs, region, physical };
    const state: State = { ...inputs };
    if (pkg === "aws") {
      const module = (mod ?? "").split("/")[0];
      const service = SERVICE_BY_MODULE[module] ?? module;
      state.arn ??= `arn:aws:${service}:${region}:${MOCK_ACCOUNT}:${module}/${physical}`;
      state.name ??= physical;
    }
    mockTypeState(state, m);
    if (args.type === "pulumi:pulumi:StackReference") {
      state.outputs = {
        vpcId: "vpc-0123456789abcdef0",
        privateSubnetIds: ["subnet-0123456789abcdef1", "subnet-0123456789abcdef2"],
        publicSubnetIds: ["subnet-0123456789abcdef3", "subnet-0123456789abcdef4"],
        clusterSecurityGroupId: "sg-0123456789abcdef0",
      };
    }
    if (pkg === "kubernetes") {
      const metadata = { ...((inputs.metadata as State | undefined) ?? {}) };
      metadata.name ??= `${args.name}-${shortHash(args.name, 8)}`;
      state.metadata = metadata;
    }
    return state;
  };
}

/** The outputs particular to a resource type (ids, ARNs, endpoints, generated values), set on `state`. */
function mockTypeState(state: State, m: Mocked): void {
  const { args, inputs, region, physical } = m;
  switch (args.type) {
    case "aws:lb/loadBalancer:LoadBalancer":
      state.arnSuffix = `app/${physical}/${shortHash(args.name)}`;
      state.dnsName = `${physical}-${shortHash(args.name, 8)}.${region}.elb.amazonaws.com`;
      state.zoneId = "Z215JYRZR1TBD5";
      break;
    case "aws:lb/targetGroup:TargetGroup":
      state.arnSuffix = `targetgroup/${physical}/${shortHash(args.name)}`;
      state.arn = `arn:aws:elasticloadbalancing:${region}:${MOCK_ACCOUNT}:${state.arnSuffix}`;
      break;
    case "aws:rds/instance:Instance":
      mockRdsInstance(state, m);
      break;
    case "aws:kms/key:Key":
      state.keyId = `${shortHash(args.name, 8)}-0000-4000-8000-${shortHash(args.name, 12)}`;
      state.arn = `arn:aws:kms:${region}:${MOCK_ACCOUNT}:key/${state.keyId}`;
      break;
    case "aws:iam/role:Role":
      state.arn = `arn:aws:iam::${MOCK_ACCOUNT}:role/${physical}`;
      break;
    case "aws:s3/bucket:Bucket":
    case "aws:s3/bucketV2:BucketV2": {
      const bucket = (inputs.bucket as string | undefined) ?? physical;
      state.bucket = bucket;
      state.arn = `arn:aws:s3:::${bucket}`;
      state.bucketRegionalDomainName = `${bucket}.s3.${region}.amazonaws.com`;
      break;
    }
    case "aws:secretsmanager/secretVersion:SecretVersion":
      // PutSecretValue returns a new VersionId (a UUID) for every new value; the same per logical name here,
      // like every id AWS chooses (--parity compares stacks).
      state.versionId ??= `${shortHash(args.name, 8)}-0000-4000-8000-${shortHash(`${args.name}/v`, 12)}`;
      break;
    case "random:index/randomId:RandomId":
      state.hex ??= shortHash(args.name, 6);
      state.b64Url ??= state.hex;
      break;
    case "random:index/randomPassword:RandomPassword":
    case "random:index/randomString:RandomString":
      state.result = `mock-${shortHash(args.name, 32)}`;
      break;
  }
}

/** An RDS instance: its endpoint, resource id, ARN and (when RDS manages it) the master password secret. */
function mockRdsInstance(state: State, m: Mocked): void {
  const { args, inputs, region, physical } = m;
  const id = (inputs.identifier as string | undefined) ?? physical;
  state.identifier = id;
  state.address = `${id}.c${shortHash(id, 10)}.${region}.rds.amazonaws.com`;
  state.port ??= 5432;
  state.endpoint = `${state.address}:${state.port}`;
  state.resourceId = `db-${shortHash(id, 26).toUpperCase()}`;
  state.arn = `arn:aws:rds:${region}:${MOCK_ACCOUNT}:db:${id}`;
  // RDS-managed master password: RDS creates the secret `rds!db-<uuid>` (a random ARN suffix) and
  // returns it in MasterUserSecret (RDS API DBInstance.MasterUserSecret; @pulumi/aws masterUserSecrets).
  // Derived from the logical name (not the identifier): the same in every stack, as --parity expects of
  // a name AWS chooses.
  if (inputs.manageMasterUserPassword)
    state.masterUserSecrets = [
      {
        secretArn: `arn:aws:secretsmanager:${region}:${MOCK_ACCOUNT}:secret:rds!db-${shortHash(args.name, 8)}-0000-4000-8000-${shortHash(args.name, 12)}-${shortHash(`${args.name}/s`, 6)}`,
        kmsKeyId: inputs.masterUserSecretKmsKeyId,
        secretStatus: "active",
      },
    ];
}

export function defaultMockCall(config: Record<string, string>): (args: pulumi.runtime.MockCallArgs) => State {
  const region = regionOf(config);
  return (args) => {
    switch (args.token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return {
          accountId: MOCK_ACCOUNT,
          arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/mock`,
          userId: "AIDAMOCK",
          id: MOCK_ACCOUNT,
        };
      case "aws:index/getRegion:getRegion":
        return { name: region, region, id: region, endpoint: `ec2.${region}.amazonaws.com` };
      case "aws:elb/getServiceAccount:getServiceAccount":
        return { arn: `arn:aws:iam::${ELB_ACCOUNTS[region] ?? "127311923021"}:root`, id: region };
      case "aws:index/getPartition:getPartition":
        return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
      case "aws:ec2/getSubnet:getSubnet": {
        // A deterministic /24 per subnet id (the mock VPC's addresses).
        const id = String((args.inputs as State).id ?? "subnet");
        const n = [...id].reduce((a, c) => (a * 31 + c.charCodeAt(0)) % 250, 7);
        return { ...(args.inputs as State), cidrBlock: `10.0.${n}.0/24`, availabilityZone: `${region}a` };
      }
      default:
        return { ...(args.inputs as State) };
    }
  };
}
