/** The demo's published images. */
export const image = (name: string) => `us-central1-docker.pkg.dev/google-samples/microservices-demo/${name}:v0.10.2`;
