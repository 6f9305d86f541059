// The checkout team: placing orders, payment, shipping, email and currency conversion.
import { policy, services } from "meshc";
import type { Services } from "../mesh.js";
import { image } from "./image.js";

export const checkout = services({
  checkoutservice: {
    ports: { grpc: { port: 5050, protocol: "grpc" } },
    workload: {
      image: image("checkoutservice"),
      env: {
        PORT: "5050",
        PRODUCT_CATALOG_SERVICE_ADDR: "productcatalogservice:3550",
        SHIPPING_SERVICE_ADDR: "shippingservice:50051",
        PAYMENT_SERVICE_ADDR: "paymentservice:50051",
        EMAIL_SERVICE_ADDR: "emailservice:5000",
        CURRENCY_SERVICE_ADDR: "currencyservice:7000",
        CART_SERVICE_ADDR: "cartservice:7070",
      },
    },
  },
  paymentservice: {
    ports: { grpc: { port: 50051, protocol: "grpc" } },
    workload: { image: image("paymentservice"), env: { PORT: "50051" } },
    traffic: { circuitBreaker: { maxConnections: 100, maxPendingRequests: 50, maxRequests: 200 } },
    rateLimit: { requests: 50, per: "second", burst: 10 },
  },
  shippingservice: {
    ports: { grpc: { port: 50051, protocol: "grpc" } },
    workload: { image: image("shippingservice"), env: { PORT: "50051" } },
  },
  emailservice: {
    ports: { grpc: { port: 5000, targetPort: 8080, protocol: "grpc" } },
    workload: { image: image("emailservice"), env: { PORT: "8080" } },
  },
  currencyservice: {
    ports: { grpc: { port: 7000, protocol: "grpc" } },
    workload: { image: image("currencyservice"), env: { PORT: "7000" } },
  },
});

export const checkoutPolicy = policy<Services>((s) => ({
  calls: [
    {
      from: s.checkoutservice,
      to: s.cartservice.ports.grpc,
      grpcMethods: ["hipstershop.CartService/GetCart", "hipstershop.CartService/EmptyCart"],
    },
    { from: s.checkoutservice, to: s.productcatalogservice.ports.grpc, grpcMethods: ["hipstershop.ProductCatalogService/GetProduct"] },
    { from: s.checkoutservice, to: s.currencyservice.ports.grpc, grpcMethods: ["hipstershop.CurrencyService/Convert"] },
    {
      from: s.checkoutservice,
      to: s.shippingservice.ports.grpc,
      grpcMethods: ["hipstershop.ShippingService/GetQuote", "hipstershop.ShippingService/ShipOrder"],
    },
    {
      from: s.checkoutservice,
      to: s.paymentservice.ports.grpc,
      grpcMethods: ["hipstershop.PaymentService/Charge"],
      timeout: "3s",
      retries: { attempts: 1, perTryTimeout: "1500ms", on: ["unavailable"] },
    },
    { from: s.checkoutservice, to: s.emailservice.ports.grpc, grpcMethods: ["hipstershop.EmailService/SendOrderConfirmation"] },
  ],
}));
