/**
 * The registry of checks, in reading order: names first (later checks assume names are sane),
 * then references, then values; then the review analyzers: reachability and protocols, routing,
 * retries and timeouts, security, and cycles last (an info).
 */
import type { Check } from "./check.js";
import { callCycle } from "./call-cycle.js";
import { catchAllLast } from "./catch-all-last.js";
import { duplicateName } from "./duplicate-name.js";
import { duplicatePort } from "./duplicate-port.js";
import { durationRange } from "./duration-range.js";
import { egressOpen } from "./egress-open.js";
import { invalidName } from "./invalid-name.js";
import { mirrorToSelf } from "./mirror-to-self.js";
import { mtlsNotStrict } from "./mtls-not-strict.js";
import { numberRange } from "./number-range.js";
import { protocolMismatch } from "./protocol-mismatch.js";
import { retriesExceedTimeout } from "./retries-exceed-timeout.js";
import { retryAmplification } from "./retry-amplification.js";
import { shadowedRouteRule } from "./shadowed-route-rule.js";
import { sharedIdentity } from "./shared-identity.js";
import { splitWeights } from "./split-weights.js";
import { timeoutBudget } from "./timeout-budget.js";
import { unknownPort } from "./unknown-port.js";
import { unknownService } from "./unknown-service.js";
import { unknownVersion } from "./unknown-version.js";
import { unreachableService } from "./unreachable-service.js";
import { versionWithoutWorkload } from "./version-without-workload.js";
import { wildcardAllow } from "./wildcard-allow.js";

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
  unreachableService,
  protocolMismatch,
  shadowedRouteRule,
  versionWithoutWorkload,
  mirrorToSelf,
  retryAmplification,
  timeoutBudget,
  retriesExceedTimeout,
  mtlsNotStrict,
  wildcardAllow,
  sharedIdentity,
  egressOpen,
  callCycle,
];

export { runChecks, checkContext } from "./check.js";
export type { Check, CheckContext, Report } from "./check.js";
