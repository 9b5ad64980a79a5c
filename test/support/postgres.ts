/**
 * A real Postgres (PGlite: the Postgres server compiled to WebAssembly) served over the Postgres wire
 * protocol on loopback, driven by node-postgres — the same client the db-users Job uses. What it does not
 * model: TLS (it answers an SSL request with "no", so a client requiring TLS is refused, as it should be)
 * and password checks (any password logs in; tests check the stored SCRAM verifier instead).
 */
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { Client } from "pg";
import { seededPglite } from "../../rollout/twin/pglite";

export interface LocalPostgres {
  port: number;
  /** A client connected as the superuser `postgres` (no TLS). */
  connect(): Promise<Client>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<LocalPostgres> {
  const db = await seededPglite();
  const server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1", maxConnections: 4 });
  await server.start();
  const address = (server as unknown as { server: { address(): { port: number } } }).server.address();
  const port = address.port;
  return {
    port,
    async connect() {
      const c = new Client({ host: "127.0.0.1", port, user: "postgres", password: "unused", database: "postgres" });
      await c.connect();
      return c;
    },
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
