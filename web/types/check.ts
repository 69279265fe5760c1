// A program using every method of the `Replica` API, type-checked by
// `tsc --strict` against the types the server serves with the module
// (`native/src/dashboard.rs`). Each `@ts-expect-error` line must not
// compile: keys, arguments, nullable reads and stats are typed. (`on`
// also takes any event name with any function: wasm-bindgen declares
// the method's own signature beside the typed overloads.)
import init, { Replica, ChangeEvent, ReplicaStats, ScanResult } from "./vitrine_web";
// TypeScript before 5.2 (Debian 12 has 4.8) does not declare the symbol
// wasm-bindgen gives the class for `using`.
declare global { interface SymbolConstructor { readonly dispose: unique symbol } }

export async function use(url: string): Promise<void> {
  await init();
  const r: Replica = await Replica.connect(url, { password: "secret" });
  const other = new Replica(url);
  await other.ready();
  r.on("change", (e: ChangeEvent) => { const k: string | null = e.key; const d: number = e.db; const c: string = e.command; void [k, d, c]; });
  r.on("state", (e) => { const s: "connecting" | "handshake" | "sync" | "connected" | "disconnected" | "closed" = e.state; void s; });
  r.on("sync", (e) => { const full: boolean = e.full; void full; });
  const text: string | null = r.get("k");
  const raw: Uint8Array | null = r.getBytes(new TextEncoder().encode("k"), 2);
  const field: string | null = r.hget("h", "f");
  const all: Record<string, string> = r.hgetall("h");
  const items: string[] = r.lrange("l", 0, -1);
  const counts: number[] = [r.llen("l"), r.scard("s"), r.zcard("z"), r.ttl("k"), r.pttl("k"), r.dbsize(3)];
  const flags: boolean[] = [r.sismember("s", "m"), r.exists("k", 1)];
  const members: string[] = r.smembers("s");
  const ranked: string[] | [string, number][] = r.zrange("z", 0, -1, true);
  const score: number | null = r.zscore("z", "m");
  const kind: string = r.type("k");
  const page: ScanResult = r.scan("0", { match: "user:*", count: 100, type: "hash", db: 0 });
  const next: ScanResult = r.scan(Number(page.cursor));
  const stats: ReplicaStats = r.stats();
  const lag: number | null = stats.lag;
  const transfer: [number | null, number | null] = [stats.syncRead, stats.syncSize];
  const why: string | null = stats.error;
  const state: "connecting" | "handshake" | "sync" | "connected" | "disconnected" | "closed" = stats.state;
  void [text, raw, field, all, items, counts, flags, members, ranked, score, kind, next, lag, stats.replid, stats.offset, stats.keys, stats.bytesReceived, stats.fullSyncs, stats.partialSyncs, stats.lastSync, stats.memoryBytes, transfer, why, state];
  // @ts-expect-error a key is a string or bytes
  r.get(42);
  // @ts-expect-error a field is required
  r.hget("h");
  // @ts-expect-error get may return null
  const notNull: string = r.get("k");
  void notNull;
  // @ts-expect-error stats have no such field
  void stats.nothing;
  const listener = (e: ChangeEvent) => void e;
  r.on("change", listener);
  r.off("change", listener);
  r.disconnect();
  r.close();
  r.free();
}
