/** The observability-* policies: their violating fixtures (fixtures/observability.ts) against the real pack. */
import { describeArea } from "./area";

describeArea("observability");
