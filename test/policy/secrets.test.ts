/** The secrets-* policies: their violating fixtures (fixtures/secrets.ts) against the real pack. */
import { describeArea } from "./area";

describeArea("secrets");
