/** The workloads-* policies: their violating fixtures (fixtures/workloads.ts) against the real pack. */
import { describeArea } from "./area";

describeArea("workloads");
