/** The edge-* policies: their violating fixtures (fixtures/edge.ts) against the real pack. */
import { describeArea } from "./area";

describeArea("edge");
