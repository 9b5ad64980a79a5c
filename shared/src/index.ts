export * from "./image";
export * from "./labels";
export * from "./placeholders";
export * from "./stack-config";
export * from "./tls";
