// The storefront team: the web frontend, the ads it shows, and the load generator.
import { policy, services } from "meshc";
import type { Services } from "../mesh.js";
import { image } from "./image.js";

export const storefront = services({
  frontend: {
    ports: { http: { port: 80, targetPort: 8080, protocol: "http" } },
    // Placing an order waits on checkout (15s), so callers of the frontend must wait longer.
    traffic: { timeout: "20s" },
    workload: {
      image: image("frontend"),
      env: {
        PORT: "8080",
        PRODUCT_CATALOG_SERVICE_ADDR: "productcatalogservice:3550",
        CURRENCY_SERVICE_ADDR: "currencyservice:7000",
        CART_SERVICE_ADDR: "cartservice:7070",
        RECOMMENDATION_SERVICE_ADDR: "recommendationservice:8080",
        SHIPPING_SERVICE_ADDR: "shippingservice:50051",
        CHECKOUT_SERVICE_ADDR: "checkoutservice:5050",
        AD_SERVICE_ADDR: "adservice:9555",
      },
    },
  },
  adservice: {
    ports: { grpc: { port: 9555, protocol: "grpc" } },
    workload: { image: image("adservice"), env: { PORT: "9555" } },
  },
  loadgenerator: {
    ports: {},
    workload: { image: image("loadgenerator"), env: { FRONTEND_ADDR: "frontend:80", USERS: "10" } },
  },
});

export const storefrontPolicy = policy<Services>((s) => ({
  ingress: [{ name: "public", port: 80, routes: [{ paths: ["/*"], to: s.frontend.ports.http }] }],
  calls: [
    { from: s.loadgenerator, to: s.frontend.ports.http, methods: ["GET", "POST"] },
    { from: s.frontend, to: s.adservice.ports.grpc, grpcMethods: ["hipstershop.AdService/GetAds"], timeout: "500ms" },
    {
      from: s.frontend,
      to: s.cartservice.ports.grpc,
      grpcMethods: ["hipstershop.CartService/AddItem", "hipstershop.CartService/GetCart", "hipstershop.CartService/EmptyCart"],
    },
    {
      from: s.frontend,
      to: s.productcatalogservice.ports.grpc,
      grpcMethods: ["hipstershop.ProductCatalogService/ListProducts", "hipstershop.ProductCatalogService/GetProduct"],
      retries: { attempts: 2, perTryTimeout: "1s", on: ["unavailable", "reset"] },
    },
    {
      from: s.frontend,
      to: s.currencyservice.ports.grpc,
      grpcMethods: ["hipstershop.CurrencyService/GetSupportedCurrencies", "hipstershop.CurrencyService/Convert"],
    },
    { from: s.frontend, to: s.recommendationservice.ports.grpc, grpcMethods: ["hipstershop.RecommendationService/ListRecommendations"] },
    { from: s.frontend, to: s.shippingservice.ports.grpc, grpcMethods: ["hipstershop.ShippingService/GetQuote"] },
    { from: s.frontend, to: s.checkoutservice.ports.grpc, grpcMethods: ["hipstershop.CheckoutService/PlaceOrder"], timeout: "15s" },
  ],
}));
