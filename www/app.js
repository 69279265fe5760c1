// The live dashboard: a vitrine replica in this tab (vitrine_web.js), a
// key browser over SCAN, a value view that follows the master's writes, an
// event feed and a writes-per-second chart. Plain ES module, no build step.
import init, { Replica } from "./vitrine_web.js";

const $ = (id) => document.getElementById(id);
const DATABASES = 16;
const PAGE = 100;          // keys shown per "more"
const FEED = 200;          // changes kept in the feed
const SECONDS = 60;        // width of the chart

let replica = null;
let scan = null;           // { cursor, db, pattern, type, shown }
let selected = null;       // { db, key }
const perSecond = new Array(SECONDS).fill(0);

function showError(text) {
  $("error").hidden = !text;
  $("error").textContent = text || "";
}

/// The replica's refusal in words a person can act on.
function explain(error) {
  const text = String(error && error.message ? error.message : error);
  if (/WRONGPASS|NOAUTH|invalid password|AUTH/i.test(text)) {
    return `The server refused this page's secret: ${text}. Enter the server's websocket-requirepass above.`;
  }
  return text;
}

function connect() {
  if (replica) {
    replica.close();
    replica.free();
  }
  const url = $("url").value.trim();
  const password = $("password").value || undefined;
  showError("");
  replica = new Replica(url, { password });
  window.replica = replica;
  replica.on("state", (event) => {
    renderStatus();
    if (event.error) showError(explain(event.error));
    else if (event.state === "connected") showError("");
  });
  replica.on("sync", (event) => {
    if (event.full) {
      startScan();
      renderValue();
    }
  });
  replica.on("change", onChange);
  replica.ready().catch((error) => showError(explain(error)));
}

function renderStatus() {
  if (!replica) return;
  const s = replica.stats();
  $("state").textContent = s.state;
  $("state").className = `badge ${s.state}`;
  $("replid").textContent = s.replid || "—";
  $("replid").title = s.replid || "";
  $("offset").textContent = s.offset ?? "—";
  $("lag").textContent = s.lag == null ? "—" : `${(s.lag / 1000).toFixed(1)} s`;
  $("keys").textContent = s.keys;
  $("received").textContent = bytes(s.bytesReceived);
  $("syncs").textContent = `${s.fullSyncs ?? 0} / ${s.partialSyncs ?? 0}`;
  $("lastsync").textContent = s.lastSync ? new Date(s.lastSync).toLocaleTimeString() : "—";
  const progress = $("progress");
  progress.hidden = s.state !== "sync";
  if (s.syncSize) {
    progress.max = s.syncSize;
    progress.value = s.syncRead;
  } else {
    progress.removeAttribute("value");
  }
}

function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1 << 20)).toFixed(1)} MB`;
}

// ---- key browser ----------------------------------------------------------

function startScan() {
  scan = {
    cursor: "0",
    db: Number($("db").value),
    pattern: $("pattern").value || undefined,
    type: $("type").value || undefined,
    done: false,
  };
  $("keylist").replaceChildren();
  more();
}

/// Scans on until PAGE more keys are shown or the cursor is back to 0,
/// with a bound on the work done per click (a million keys, a rare type).
function more() {
  if (!replica || !scan || scan.done) return;
  let found = 0;
  for (let calls = 0; calls < 200 && found < PAGE; calls++) {
    let page;
    try {
      page = replica.scan(scan.cursor, { match: scan.pattern, type: scan.type, count: 200, db: scan.db });
    } catch (error) {
      showError(String(error.message || error));
      return;
    }
    for (const key of page.keys) {
      addKey(key);
      found++;
    }
    scan.cursor = page.cursor;
    if (scan.cursor === "0") {
      scan.done = true;
      break;
    }
  }
  $("more").hidden = scan.done;
  $("scaninfo").textContent = `${$("keylist").children.length} keys shown in db ${scan.db}${scan.done ? "" : " (more to scan)"}`;
}

function addKey(key) {
  const item = document.createElement("li");
  item.dataset.key = key;
  const name = document.createElement("span");
  name.textContent = key;
  const kind = document.createElement("i");
  kind.textContent = replica.type(key, scan.db);
  item.append(name, kind);
  item.addEventListener("click", () => select(scan.db, key, item));
  $("keylist").append(item);
}

function select(db, key, item) {
  for (const li of $("keylist").querySelectorAll(".selected")) li.classList.remove("selected");
  item?.classList.add("selected");
  selected = { db, key };
  renderValue();
}

// ---- value view -------------------------------------------------------------

function cell(row, text, tag = "td") {
  const c = document.createElement(tag);
  c.textContent = text;
  row.append(c);
}

function table(headers, rows) {
  const t = document.createElement("table");
  const head = t.createTHead().insertRow();
  for (const h of headers) cell(head, h, "th");
  const body = t.createTBody();
  for (const r of rows) {
    const row = body.insertRow();
    for (const v of r) cell(row, v);
  }
  return t;
}

function renderValue(flash = false) {
  const body = $("valuebody");
  if (!replica || !selected) return;
  const { db, key } = selected;
  $("valuetitle").textContent = key;
  const type = replica.type(key, db);
  const ttl = replica.pttl(key, db);
  const expiry = ttl >= 0 ? `, expires in ${(ttl / 1000).toFixed(1)} s` : "";
  let content;
  let size = "";
  switch (type) {
    case "none":
      $("valuemeta").textContent = `db ${db}: no such key (deleted or expired)`;
      body.replaceChildren();
      return;
    case "string": {
      content = document.createElement("pre");
      const value = replica.get(key, db);
      content.textContent = value;
      size = `${replica.getBytes(key, db).length} bytes`;
      break;
    }
    case "hash": {
      const fields = Object.entries(replica.hgetall(key, db));
      content = table(["field", "value"], fields);
      size = `${fields.length} fields`;
      break;
    }
    case "list": {
      const length = replica.llen(key, db);
      content = table(["#", "element"], replica.lrange(key, 0, 499, db).map((v, i) => [i, v]));
      size = `${length} elements${length > 500 ? " (first 500 shown)" : ""}`;
      break;
    }
    case "set": {
      const members = replica.smembers(key, db);
      content = table(["member"], members.slice(0, 500).map((m) => [m]));
      size = `${members.length} members${members.length > 500 ? " (500 shown)" : ""}`;
      break;
    }
    case "zset": {
      const count = replica.zcard(key, db);
      content = table(["member", "score"], replica.zrange(key, 0, 499, true, db));
      size = `${count} members${count > 500 ? " (first 500 shown)" : ""}`;
      break;
    }
    default:
      content = document.createElement("p");
      content.textContent = `(${type} values are not shown)`;
  }
  $("valuemeta").textContent = `db ${db} · ${type} · ${size}${expiry}`;
  body.replaceChildren(content);
  if (flash) {
    body.classList.remove("flash");
    void body.offsetWidth;
    body.classList.add("flash");
  }
}

// ---- live changes -----------------------------------------------------------

// The feed and a selected value are redrawn at most four times a second,
// from what changed since. Drawing a row (and re-reading the selected
// value) for every event took the page's thread longer than the stream
// gave it at 10,000 writes a second, and every later event waited for it:
// 17 ms at the median and 52 ms at p99 from the master's write to a
// listener, against 0.8 and 2 ms for a page that does not draw.
const REDRAW_MS = 250;
// Rows added per redraw: about what the feed shows at once, so all the
// changes up to 80 writes a second; above, the newest of each quarter of
// a second (the chart shows the rate). Drawing rows is most of a redraw's
// cost, and events wait for it: at 1,000 writes a second the listener's
// p99 was 12-14 ms with 50 rows a redraw, 8-10 with 20, 5-7 with 10.
const ROWS_PER_REDRAW = 20;
let unseen = [];           // changes not drawn yet, oldest first: { at, event }
let valueChanged = false;
let redrawTimer = null;

function onChange(event) {
  perSecond[perSecond.length - 1]++;
  unseen.push({ at: Date.now(), event });
  if (unseen.length >= 2 * ROWS_PER_REDRAW) unseen = unseen.slice(-ROWS_PER_REDRAW);
  if (selected && (event.key == null || (event.db === selected.db && event.key === selected.key))) {
    valueChanged = true;
  }
  redrawTimer ??= setTimeout(redraw, REDRAW_MS);
}

function redraw() {
  redrawTimer = null;
  const feed = $("feed");
  feed.prepend(...unseen.slice(-ROWS_PER_REDRAW).reverse().map(feedRow));
  unseen = [];
  while (feed.children.length > FEED) feed.lastChild.remove();
  if (valueChanged) {
    valueChanged = false;
    renderValue(true);
  }
}

function feedRow({ at, event }) {
  const item = document.createElement("li");
  const time = document.createElement("time");
  time.textContent = clockText(at);
  const command = document.createElement("span");
  command.className = "cmd";
  command.textContent = event.command;
  const where = document.createElement("span");
  where.textContent = event.key == null ? `db ${event.db}` : `db ${event.db} ${event.key}`;
  item.append(time, command, where);
  return item;
}

// Formatting a time is costly; a batch of rows mostly shares one second.
let clock = { second: NaN, text: "" };
function clockText(ms) {
  const second = Math.floor(ms / 1000);
  if (second !== clock.second) clock = { second, text: new Date(ms).toLocaleTimeString() };
  return clock.text;
}

function drawChart() {
  const canvas = $("chart");
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const top = Math.max(10, ...perSecond);
  const bar = width / SECONDS;
  ctx.fillStyle = "#b3261e";
  perSecond.forEach((n, i) => {
    const h = (n / top) * (height - 16);
    ctx.fillRect(i * bar + 1, height - h, bar - 2, h);
  });
  ctx.fillStyle = "#6b6b70";
  ctx.font = "11px system-ui";
  ctx.fillText(`${perSecond[perSecond.length - 2] ?? 0}/s (max ${top})`, 4, 12);
}

// ---- start ------------------------------------------------------------------

async function main() {
  for (let db = 0; db < DATABASES; db++) {
    const option = document.createElement("option");
    option.value = db;
    option.textContent = `db ${db}`;
    $("db").append(option);
  }
  const params = new URLSearchParams(location.search);
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  $("url").value = params.get("url") || `${scheme}//${location.host}/replication`;
  $("password").value = params.get("password") || "";
  $("connect").addEventListener("submit", (e) => {
    e.preventDefault();
    connect();
  });
  $("filters").addEventListener("submit", (e) => {
    e.preventDefault();
    startScan();
  });
  $("more").addEventListener("click", more);
  // Leaving the page ends the link at once (a close frame), rather than
  // when the master's repl-timeout notices the silence. A page kept in the
  // back-forward cache only drops it: back on it, the replica reconnects
  // and resumes with a partial resync.
  addEventListener("pagehide", (event) => {
    if (event.persisted) replica?.disconnect();
    else replica?.close();
  });
  setInterval(() => {
    perSecond.shift();
    perSecond.push(0);
    drawChart();
    renderStatus();
    if (selected) {
      // TTLs count down; a key may expire.
      const ttl = replica && replica.pttl(selected.key, selected.db);
      if (ttl != null && ttl !== -1) renderValue();
    }
  }, 1000);
  try {
    await init();
  } catch (error) {
    showError(`The browser could not load the replica's WebAssembly: ${error}`);
    return;
  }
  connect();
  drawChart();
}

main();
