/**
 * The registry of checks, in reading order: names first (later checks assume names are sane),
 * then references, then values.
 */
import type { Check } from "./check.js";
import { catchAllLast } from "./catch-all-last.js";
import { duplicateName } from "./duplicate-name.js";
import { duplicatePort } from "./duplicate-port.js";
import { durationRange } from "./duration-range.js";
import { invalidName } from "./invalid-name.js";
import { numberRange } from "./number-range.js";
import { splitWeights } from "./split-weights.js";
import { unknownPort } from "./unknown-port.js";
import { unknownService } from "./unknown-service.js";
import { unknownVersion } from "./unknown-version.js";

export const checks: readonly Check[] = [
  invalidName,
  duplicateName,
  duplicatePort,
  unknownService,
  unknownPort,
  unknownVersion,
  splitWeights,
  catchAllLast,
  durationRange,
  numberRange,
];

export { runChecks, checkContext } from "./check.js";
export type { Check, CheckContext, Report } from "./check.js";
