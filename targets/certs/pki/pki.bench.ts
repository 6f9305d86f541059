/**
 * Issuance throughput. Run: `npx vitest bench --run targets/certs/pki`
 * Each "batch" task issues BATCH leaves, so leaves/s = hz × BATCH. Not a test: timings on a shared
 * 2-core machine are too noisy to assert on.
 */
import { bench, describe } from "vitest";
import { createCa, generateKeyPair, issueLeaf, issueLeafCertificate, issueLeaves, type LeafRequest } from "./index.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const HOUR = 3_600_000;
const BATCH = 1000;
const SPIFFE = "spiffe://cluster.local/ns/shop/sa/checkout";

const ec = createCa({ rootSubject: { commonName: "bench root" }, intermediateSubject: { commonName: "bench intermediate" }, now: NOW });
const rsa = createCa({ rootSubject: { commonName: "bench root" }, intermediateSubject: { commonName: "bench intermediate" }, keyAlgorithm: "rsa-2048", now: NOW });
const ecKey = generateKeyPair("ecdsa-p256");
const ecRequests: LeafRequest[] = Array.from({ length: BATCH }, (_, i) => ({ spiffeId: `spiffe://cluster.local/ns/n/sa/s${i}` }));
const existingRequests: LeafRequest[] = ecRequests.map((r) => ({ ...r, key: ecKey }));

describe("ECDSA P-256 leaves under an ECDSA P-256 intermediate", () => {
  bench("single: sign only (existing key)", () => {
    issueLeaf({ spiffeId: SPIFFE, ca: ec, key: ecKey, lifetimeMs: HOUR, now: NOW });
  });
  bench("single: sign only (bare public key)", () => {
    issueLeafCertificate({ spiffeId: SPIFFE, ca: ec, publicKey: ecKey.spkiDer, lifetimeMs: HOUR, now: NOW });
  });
  bench("single: generate key + sign", () => {
    issueLeaf({ spiffeId: SPIFFE, ca: ec, lifetimeMs: HOUR, now: NOW });
  });
  bench(`batch of ${BATCH}: sign only (existing key)`, () => {
    issueLeaves(existingRequests, { ca: ec, lifetimeMs: HOUR, now: NOW });
  }, { iterations: 5 });
  bench(`batch of ${BATCH}: generate key + sign`, () => {
    issueLeaves(ecRequests, { ca: ec, lifetimeMs: HOUR, now: NOW });
  }, { iterations: 5 });
});

describe("RSA", () => {
  bench("ECDSA leaf, generate key + sign, under an RSA-2048 intermediate", () => {
    issueLeaf({ spiffeId: SPIFFE, ca: rsa, lifetimeMs: HOUR, now: NOW });
  });
  bench("RSA-2048 leaf, generate key + sign", () => {
    issueLeaf({ spiffeId: SPIFFE, ca: ec, keyAlgorithm: "rsa-2048", lifetimeMs: HOUR, now: NOW });
  }, { iterations: 10, time: 0 });
});
