export * from "./image";
export * from "./labels";
export * from "./placeholders";
export * from "./readiness";
export * from "./stack-config";
export * from "./tls";
