// minotor 1.0.7 (npm, TypeScript RAPTOR for the browser and Node.js) as a peer of benchmarks.compare.
//
//   TRAJET_PEER_ENV=benchmarks/.peers/minotor TZ=UTC \
//     node benchmarks/peers/minotor_driver.mjs QUERIES OUT --feed FEED.zip
//
// minotor's own GtfsParser reads the feed for the query date; Router.route answers each query.
// Adapter choices, to stand on Trajet's ground:
// - its parser ignores frequencies.txt and takes transfers.txt literally (nyc-subway's transfers
//   join parent stations, which no trip serves, so none would be used): the driver hands it a
//   temporary copy of the feed, made by a child process (its time is in the load time, its memory
//   not in the peak), where frequency-based trips are expanded (start + k * headway < end) and
//   transfers.txt joins platforms, as Trajet reads it: type 2 keeps its min_transfer_time, other
//   types between stops become walks at 1.33 m/s;
// - every route type is accepted (its standard profile drops extended ones such as 109 or 700);
// - minTransferTime 0 (it only applies to a transfer without a time), 40 transfers at most;
// - csv-parse's cast makes numeric ids numbers ("0123" -> 123): a query id is looked up as given,
//   then as a number; its warnings (one per row with an empty pickup_type...) are silenced.
// Model differences (each checked on nyc-subway by undoing it in a throwaway copy of this driver):
// - origin and destination are whole stations: the stop, its parent's other platforms (earlier);
// - transfers may also leave the origin before any ride (earlier);
// - no change time at one stop: transfers.txt's same-stop times (nyc-subway 180 s) are lost (earlier);
// - a transfer may replace a stop's earliest arrival by a later one (considerTransfers compares
//   with this round's arrival only), which can make the destination's arrival later;
// - only trips of the query date (none of the day before nor of the next morning), and trips of
//   one route kept in the order of their first departure (no split of overtaking trips).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";

const require = createRequire(path.resolve(process.env.TRAJET_PEER_ENV, "package.json"));
const dist = path.dirname(require.resolve("minotor"));  // the package is ESM; import its ESM builds
const { Duration, Query, Router, Time } = await import(pathToFileURL(path.join(dist, "router.esm.js")));
const { GtfsParser } = await import(pathToFileURL(path.join(dist, "parser.esm.js")));
const VERSION = JSON.parse(fs.readFileSync(path.join(dist, "..", "package.json"), "utf8")).version;
const { parse } = require("csv-parse/sync");  // a dependency of minotor
const WALK_SPEED_M_S = 1.33;
const MAX_TRANSFERS = 40;

const BASIC = ["TRAM", "SUBWAY", "RAIL", "BUS", "FERRY", "CABLE_TRAM", "AERIAL_LIFT", "FUNICULAR"];
const EXTENDED = {  // hundreds of the extended route types
  1: "RAIL", 2: "BUS", 4: "SUBWAY", 7: "BUS", 8: "TROLLEYBUS", 9: "TRAM",
  10: "FERRY", 12: "FERRY", 13: "AERIAL_LIFT", 14: "FUNICULAR",
};
const routeType = t => (t === 11 ? "TROLLEYBUS" : t === 12 ? "MONORAIL"
  : t < 100 ? BASIC[t] : EXTENDED[Math.floor(t / 100)]);
const profile = { routeTypeParser: t => routeType(t) ?? "BUS" };

function readTable(feed, name) {  // one GTFS file as string rows and a column index; empty when absent
  let text = "";
  try {
    text = execFileSync("unzip", ["-p", feed, name], { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "ignore"] })
      .toString();
  } catch { /* absent */ }
  const [header = [], ...rows] = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true });
  return { header, rows, col: Object.fromEntries(header.map((h, i) => [h.trim(), i])) };
}

const csvField = v => (/[",\r\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : v);
const csvLine = row => row.map(csvField).join(",");
const seconds = t => { const [h, m, s] = t.trim().split(":"); return +h * 3600 + +m * 60 + +s; };
const hms = t => [Math.floor(t / 3600), Math.floor(t / 60) % 60, t % 60].map(x => String(x).padStart(2, "0")).join(":");

// trips.txt and stop_times.txt with one trip per departure of each frequency-based trip
function expandFrequencies(feed, freq) {
  const runs = new Map();
  for (const r of freq.rows) {
    const id = r[freq.col.trip_id], end = seconds(r[freq.col.end_time]), headway = +r[freq.col.headway_secs];
    if (!runs.has(id)) runs.set(id, []);
    for (let t = seconds(r[freq.col.start_time]); t < end; t += headway) runs.get(id).push(t);
  }
  const st = readTable(feed, "stop_times.txt"), c = st.col;
  const stopTimes = [st.header], templates = new Map();
  for (const r of st.rows) {
    if (!runs.has(r[c.trip_id])) stopTimes.push(r);
    else (templates.get(r[c.trip_id]) || templates.set(r[c.trip_id], []).get(r[c.trip_id])).push(r);
  }
  for (const [id, rows] of templates) {
    rows.sort((a, b) => a[c.stop_sequence] - b[c.stop_sequence]);
    const first = seconds(rows[0][c.departure_time]);
    const shifted = (t, by) => (t.trim() ? hms(seconds(t) + by) : t);
    runs.get(id).forEach((start, k) => {
      for (const r of rows) {
        const row = [...r];
        row[c.trip_id] = `${id}#${k}`;
        row[c.arrival_time] = shifted(r[c.arrival_time], start - first);
        row[c.departure_time] = shifted(r[c.departure_time], start - first);
        stopTimes.push(row);
      }
    });
  }
  const tr = readTable(feed, "trips.txt"), trips = [tr.header];
  for (const r of tr.rows) {
    const id = r[tr.col.trip_id];
    if (!templates.has(id)) trips.push(r);
    else runs.get(id).forEach((_, k) => trips.push(Object.assign([...r], { [tr.col.trip_id]: `${id}#${k}` })));
  }
  return { "trips.txt": trips, "stop_times.txt": stopTimes };
}

// transfers.txt between platforms, as Trajet reads it
function platformTransfers(feed, tr) {
  const stops = readTable(feed, "stops.txt"), sc = stops.col;
  const children = new Map(), where = new Map();
  for (const r of stops.rows) {
    where.set(r[sc.stop_id], [+r[sc.stop_lat], +r[sc.stop_lon]]);
    const parent = sc.parent_station === undefined ? "" : r[sc.parent_station];
    if (parent) (children.get(parent) || children.set(parent, []).get(parent)).push(r[sc.stop_id]);
  }
  const c = tr.col, out = [["from_stop_id", "to_stop_id", "transfer_type", "min_transfer_time"]];
  const specific = ["from_route_id", "to_route_id", "from_trip_id", "to_trip_id"].filter(k => k in c);
  for (const r of tr.rows) {
    if (specific.some(k => r[c[k]])) continue;  // route/trip-specific: Trajet drops them too
    const kind = +(r[c.transfer_type] || 0), secs = parseInt(r[c.min_transfer_time] ?? "", 10);
    if (kind === 3) continue;
    for (const a of children.get(r[c.from_stop_id]) || [r[c.from_stop_id]]) {
      for (const b of children.get(r[c.to_stop_id]) || [r[c.to_stop_id]]) {
        if (a === b) continue;  // a change time at one stop: minotor has none
        const walk = () => Math.ceil(distanceM(where.get(a), where.get(b)) / WALK_SPEED_M_S);
        out.push([a, b, 2, kind === 2 && secs >= 0 ? secs : walk()]);
      }
    }
  }
  return out;
}

function distanceM([lat1, lon1], [lat2, lon2]) {
  const rad = Math.PI / 180, dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
  const h = Math.sin(dlat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dlon / 2) ** 2;
  return 2 * 6371000 * Math.asin(Math.sqrt(Math.min(h, 1)));
}

// the feed minotor reads: the original, or a copy in tmp with the files above replaced
function adaptedFeed(feed, tmp) {
  const files = {};
  const freq = readTable(feed, "frequencies.txt");
  if (freq.rows.length) Object.assign(files, expandFrequencies(feed, freq));
  const tr = readTable(feed, "transfers.txt");
  if (tr.rows.length) files["transfers.txt"] = platformTransfers(feed, tr);
  if (!Object.keys(files).length) return feed;
  const copy = path.join(tmp, "feed.zip");
  fs.copyFileSync(feed, copy);
  fs.chmodSync(copy, 0o644);
  for (const [name, rows] of Object.entries(files)) {
    fs.writeFileSync(path.join(tmp, name), rows.map(csvLine).join("\n") + "\n");
  }
  execFileSync("zip", ["-q", "-j", "-1", copy, ...Object.keys(files).map(name => path.join(tmp, name))]);
  if (freq.rows.length) execFileSync("zip", ["-q", "-d", copy, "frequencies.txt"]);
  return copy;
}

function peakRssMb() {
  const line = fs.readFileSync("/proc/self/status", "utf8").split("\n").find(l => l.startsWith("VmHWM:"));
  return line ? parseInt(line.split(/\s+/)[1], 10) / 1024 : null;
}

async function main([queriesPath, outPath, ...rest]) {
  const feeds = rest.filter((_, i) => rest[i - 1] === "--feed");
  if (feeds.length !== 1) throw new Error(`one --feed expected, got ${feeds.length}: this driver reads a single feed`);
  const [feed] = feeds;
  const spec = JSON.parse(fs.readFileSync(queriesPath, "utf8"));
  const [y, m, d] = spec.date.split("-").map(Number);
  console.warn = console.info = () => {};  // minotor warns once per odd row of large feeds
  const started = performance.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "trajet-minotor-"));
  let parsed;
  try {
    // the copy is made by a child process, so that its memory does not count in minotor's peak
    const adapted = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--adapt", feed, tmp]).toString();
    parsed = await new GtfsParser(adapted, profile).parse(new Date(y, m - 1, d));  // local midnight
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const { timetable, stopsIndex } = parsed;
  const router = new Router(timetable, stopsIndex);
  const loadS = (performance.now() - started) / 1000;

  const stopKey = raw => [raw, Number(raw)].find(k => stopsIndex.findStopById(k) !== undefined);
  const queryOf = q => new Query.Builder().from(stopKey(q.from)).to(stopKey(q.to)).departureTime(Time.fromSeconds(q.time))
    .maxTransfers(MAX_TRANSFERS).minTransferTime(Duration.zero()).build();
  const known = q => stopKey(q.from) !== undefined && stopKey(q.to) !== undefined;
  if (known(spec.queries[0])) router.route(queryOf(spec.queries[0]));  // warm-up
  const arrivals = [], times = [];
  for (const q of spec.queries) {
    const query = known(q) ? queryOf(q) : null;
    const t0 = performance.now();
    const result = query && router.route(query);
    times.push((performance.now() - t0) / 1000);
    arrivals.push(result?.arrivalAt(query.to[0])?.time.toSeconds() ?? null);
  }
  const unknown = spec.queries.filter(q => !known(q)).length;
  const notes = "origin and destination are whole stations; no change time at a stop; transfers may leave the origin; " +
    "a transfer may overwrite a better arrival; trips of the date only; adapter: frequencies expanded, transfers.txt " +
    `by platform, all route types${unknown ? `; ${unknown} queries with a stop id it lacks` : ""}`;
  fs.writeFileSync(outPath, JSON.stringify({
    planner: `minotor ${VERSION}`, load_s: loadS, arrivals, seconds: times, notes, peak_rss_mb: peakRssMb(),
  }));
}

if (process.argv[2] === "--adapt") process.stdout.write(adaptedFeed(process.argv[3], process.argv[4]));
else await main(process.argv.slice(2));
