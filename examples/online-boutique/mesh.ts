// Google's Online Boutique (https://github.com/GoogleCloudPlatform/microservices-demo): eleven
// services talking gRPC, plus the Redis that backs the cart. The call graph and the gRPC methods
// follow the demo's protos/demo.proto and its architecture diagram.
//
// One file per team, composed by import: each team declares its services and the calls its
// services make; this file puts them together.
import { defineMesh } from "meshc";
import { cart, cartPolicy } from "./teams/cart.js";
import { catalog, catalogPolicy } from "./teams/catalog.js";
import { checkout, checkoutPolicy } from "./teams/checkout.js";
import { storefront, storefrontPolicy } from "./teams/storefront.js";

const services = { ...storefront, ...catalog, ...checkout, ...cart };

/** The type team policies are checked against. */
export type Services = typeof services;

export default defineMesh(
  {
    name: "online-boutique",
    namespace: "online-boutique",
    trustDomain: "cluster.local",
    defaults: {
      mtls: "strict",
      egress: "registry-only",
      traffic: {
        timeout: "10s",
        connectionPool: { connectTimeout: "1s" },
      },
    },
    certificates: { leafLifetime: "48h" },
    services,
  },
  storefrontPolicy,
  catalogPolicy,
  checkoutPolicy,
  cartPolicy,
);
