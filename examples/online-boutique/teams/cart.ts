// The cart team: the cart service and the Redis it keeps carts in.
import { policy, services } from "meshc";
import type { Services } from "../mesh.js";
import { image } from "./image.js";

export const cart = services({
  cartservice: {
    ports: { grpc: { port: 7070, protocol: "grpc" } },
    workload: { image: image("cartservice"), env: { REDIS_ADDR: "redis-cart:6379" } },
  },
  "redis-cart": {
    ports: { redis: { port: 6379, protocol: "tcp" } },
    workload: { image: "redis:alpine" },
  },
});

export const cartPolicy = policy<Services>((s) => ({
  calls: [{ from: s.cartservice, to: s["redis-cart"].ports.redis }],
}));
