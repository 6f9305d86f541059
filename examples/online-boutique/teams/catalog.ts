// The catalog team: products and recommendations.
import { policy, services } from "meshc";
import type { Services } from "../mesh.js";
import { image } from "./image.js";

export const catalog = services({
  productcatalogservice: {
    ports: { grpc: { port: 3550, protocol: "grpc" } },
    workload: { image: image("productcatalogservice"), replicas: 2, env: { PORT: "3550" } },
    traffic: {
      outlierDetection: { consecutiveErrors: 5, interval: "10s", baseEjectionTime: "30s", maxEjectionPercent: 50 },
      loadBalancer: "least-request",
    },
  },
  recommendationservice: {
    ports: { grpc: { port: 8080, protocol: "grpc" } },
    workload: {
      image: image("recommendationservice"),
      env: { PORT: "8080", PRODUCT_CATALOG_SERVICE_ADDR: "productcatalogservice:3550" },
    },
  },
});

export const catalogPolicy = policy<Services>((s) => ({
  calls: [
    {
      from: s.recommendationservice,
      to: s.productcatalogservice.ports.grpc,
      grpcMethods: ["hipstershop.ProductCatalogService/ListProducts"],
    },
  ],
}));
