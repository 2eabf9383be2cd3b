// raptor-journey-planner 2.2.3 (npm, TypeScript RAPTOR) as a peer of benchmarks.compare.
//
//   TRAJET_PEER_ENV=benchmarks/.peers/raptor-journey-planner TZ=UTC \
//     node benchmarks/peers/rjp_driver.mjs QUERIES OUT --feed FEED.zip      [RJP_SCAN_CACHE=1]
//
// Loader shim: the package's own loadGTFS never finishes with current dependencies (gtfs-stream),
// so this driver reads the zip itself (`unzip -p`, no extra npm package) and builds the trips,
// transfers and interchange times that loadGTFS would return, then RaptorAlgorithmFactory.create.
// Adapter choices, to stand on Trajet's ground:
// - the day view: trips of the date, those of the day before still running after midnight and
//   those of the next day, times shifted to seconds after midnight of the date (so > 24:00 and
//   next-morning trips are kept); frequencies.txt expanded (start + k * headway < end), which
//   loadGTFS ignores; each trip's calendar is checked here, the planner sees only running trips.
// - transfers.txt read as Trajet reads it: a parent station stands for its platforms; type 2 at
//   one stop is its interchange time; type 2 between stops a transfer of min_transfer_time;
//   type 0/1 between stops a walk at 1.33 m/s; type 3 and same-stop 0/1 ignored. No other walking.
// - pickup/drop_off_type 1 forbids boarding/alighting (loadGTFS treats an empty value as 1 too).
// - scan cache: RouteScanner remembers, per route, the last trip found during a query and never
//   looks past it again, which loses journeys that must board a later trip of the same route in a
//   later round. Off by default (a fresh position per lookup); RJP_SCAN_CACHE=1 keeps upstream's.
// Model differences: a change costs the stop's interchange time on arrival (also before a
// transfer, and again at the stop the transfer reaches), transfers may start at the origin and
// may follow one another; Trajet walks only after a ride, once, and charges a link its own time.
// Arrival = the earliest journey of DepartAfterQuery (one search day), trips of one route in
// departure order (overtaking trips go to a separate route).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { performance } from "node:perf_hooks";

const require = createRequire(path.resolve(process.env.TRAJET_PEER_ENV, "package.json"));
const rjp = require("raptor-journey-planner");
const VERSION = require("raptor-journey-planner/package.json").version;
const SCAN_CACHE = process.env.RJP_SCAN_CACHE === "1";
const DAY = 86400;
const WALK_SPEED_M_S = 1.33;

// one GTFS file of the zip as rows of strings, with a column index; [] when absent
function readTable(feed, name) {
  let text;
  try {
    text = execFileSync("unzip", ["-p", feed, name], { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "ignore"] }).toString();
  } catch {
    return { rows: [], col: {} };
  }
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/).filter(line => line !== "");
  const rows = lines.map(line => (line.includes('"') ? splitQuoted(line) : line.split(",")));
  const col = Object.fromEntries((rows.shift() || []).map((h, i) => [h.trim(), i]));
  return { rows, col };
}

function splitQuoted(line) {  // a CSV line with quoted fields (no line breaks inside fields)
  const fields = [];
  let field = "", quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '"' && line[i + 1] === '"') { field += '"'; i++; }
    else if (c === '"') quoted = !quoted;
    else if (c === "," && !quoted) { fields.push(field); field = ""; }
    else field += c;
  }
  fields.push(field);
  return fields;
}

const seconds = t => { const [h, m, s] = t.trim().split(":"); return +h * 3600 + +m * 60 + +s; };
const ymd = date => +date.toISOString().slice(0, 10).replaceAll("-", "");

function servicesOn(feed, date) {  // service_ids running on a UTC date
  const day = ymd(date);
  const weekday = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"][date.getUTCDay()];
  const active = new Set();
  const cal = readTable(feed, "calendar.txt");
  for (const r of cal.rows) {
    if (+r[cal.col.start_date] <= day && day <= +r[cal.col.end_date] && r[cal.col[weekday]] === "1") active.add(r[cal.col.service_id]);
  }
  const cd = readTable(feed, "calendar_dates.txt");
  for (const r of cd.rows) {
    if (+r[cd.col.date] !== day) continue;
    if (r[cd.col.exception_type] === "1") active.add(r[cd.col.service_id]);
    else active.delete(r[cd.col.service_id]);
  }
  return active;
}

// trips of the day view, in the shape loadGTFS gives them
function loadTrips(feed, date) {
  const st = readTable(feed, "stop_times.txt"), c = st.col;
  const byTrip = new Map();
  for (const r of st.rows) {
    const trip = r[c.trip_id];
    if (!byTrip.has(trip)) byTrip.set(trip, []);
    byTrip.get(trip).push({
      seq: +r[c.stop_sequence], stop: r[c.stop_id], arr: seconds(r[c.arrival_time]), dep: seconds(r[c.departure_time]),
      pickUp: (r[c.pickup_type] || "0").trim() !== "1", dropOff: (r[c.drop_off_type] || "0").trim() !== "1",
    });
  }
  const freq = readTable(feed, "frequencies.txt"), runs = new Map();
  for (const r of freq.rows) {
    const trip = r[freq.col.trip_id], start = seconds(r[freq.col.start_time]), end = seconds(r[freq.col.end_time]);
    const headway = +r[freq.col.headway_secs];
    if (!runs.has(trip)) runs.set(trip, []);
    for (let t = start; t < end; t += headway) runs.get(trip).push(t);
  }
  const tt = readTable(feed, "trips.txt"), running = { runsOn: () => true };
  const trips = [];
  for (const shift of [-DAY, 0, DAY]) {
    const services = servicesOn(feed, new Date(date.getTime() + shift * 1000));
    for (const r of tt.rows) {
      const id = r[tt.col.trip_id], rows = byTrip.get(id);
      if (!services.has(r[tt.col.service_id]) || !rows) continue;
      rows.sort((a, b) => a.seq - b.seq);
      for (const first of runs.get(id) || [rows[0].dep]) {
        const offset = shift + first - rows[0].dep;
        if (rows[rows.length - 1].arr + offset <= 0) continue;  // the day before, over before midnight
        const stopTimes = rows.map(s => ({
          stop: s.stop, arrivalTime: s.arr + offset, departureTime: s.dep + offset, pickUp: s.pickUp, dropOff: s.dropOff,
        }));
        trips.push({ tripId: id, serviceId: r[tt.col.service_id], service: running, stopTimes });
      }
    }
  }
  return trips;
}

// transfers.txt as Trajet reads it: {from: [transfer]} and {stop: interchange seconds}
function loadTransfers(feed) {
  const stops = readTable(feed, "stops.txt"), sc = stops.col;
  const children = new Map(), where = new Map();
  for (const r of stops.rows) {
    const id = r[sc.stop_id], parent = sc.parent_station === undefined ? "" : r[sc.parent_station];
    where.set(id, [+r[sc.stop_lat], +r[sc.stop_lon]]);
    if (parent) (children.get(parent) || children.set(parent, []).get(parent)).push(id);
  }
  const platforms = id => children.get(id) || [id];
  const transfers = {}, interchange = {};
  const tr = readTable(feed, "transfers.txt"), c = tr.col;
  for (const r of tr.rows) {
    const kind = +(r[c.transfer_type] || 0), secs = c.min_transfer_time === undefined ? NaN : parseInt(r[c.min_transfer_time], 10);
    for (const a of platforms(r[c.from_stop_id])) {
      for (const b of platforms(r[c.to_stop_id])) {
        if (kind === 3 || (a === b && kind !== 2) || (kind === 2 && !(secs >= 0))) continue;
        if (a === b) { interchange[a] = secs; continue; }
        const duration = kind === 2 ? secs : Math.ceil(distanceM(where.get(a), where.get(b)) / WALK_SPEED_M_S);
        (transfers[a] ||= []).push({ origin: a, destination: b, duration, startTime: 0, endTime: Number.MAX_SAFE_INTEGER });
      }
    }
  }
  return [transfers, interchange];
}

function distanceM([lat1, lon1], [lat2, lon2]) {
  const rad = Math.PI / 180, dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
  const h = Math.sin(dlat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dlon / 2) ** 2;
  return 2 * 6371000 * Math.asin(Math.sqrt(Math.min(h, 1)));
}

// upstream's RouteScanner, less its per-query scan position
class FreshRouteScanner extends rjp.RouteScanner {
  getTrip(routeId, stopIndex, time) {
    delete this.routeScanPosition[routeId];
    return super.getTrip(routeId, stopIndex, time);
  }
}

function peakRssMb() {
  const line = fs.readFileSync("/proc/self/status", "utf8").split("\n").find(l => l.startsWith("VmHWM:"));
  return line ? parseInt(line.split(/\s+/)[1], 10) / 1024 : null;
}

function main([queriesPath, outPath, ...rest]) {
  const feed = rest[rest.indexOf("--feed") + 1];
  const spec = JSON.parse(fs.readFileSync(queriesPath, "utf8"));
  const date = new Date(`${spec.date}T00:00:00Z`);
  const started = performance.now();
  const trips = loadTrips(feed, date);
  const [transfers, interchange] = loadTransfers(feed);
  const raptor = rjp.RaptorAlgorithmFactory.create(trips, transfers, interchange);
  if (!SCAN_CACHE) {
    const byRoute = raptor.routeScannerFactory.tripsByRoute;
    raptor.routeScannerFactory = { create: (day, dow) => new FreshRouteScanner(byRoute, day, dow) };
  }
  const query = new rjp.DepartAfterQuery(raptor, new rjp.JourneyFactory(), 1);
  const loadS = (performance.now() - started) / 1000;

  const served = stop => Object.hasOwn(raptor.transfers, stop);  // stops of the day's trips
  const plan = q => (served(q.from) && served(q.to) ? query.plan(q.from, q.to, new Date(date), q.time) : []);
  plan(spec.queries[0]);  // warm-up
  const arrivals = [], times = [];
  for (const q of spec.queries) {
    const t0 = performance.now();
    const journeys = plan(q);
    times.push((performance.now() - t0) / 1000);
    arrivals.push(journeys.length ? Math.min(...journeys.map(j => j.arrivalTime)) : null);
  }
  const notes = `${SCAN_CACHE ? "upstream scan cache on (loses journeys)" : "scan cache off"}; loader shim (day view, ` +
    "frequencies expanded, transfers.txt by platform); a change costs the stop's interchange time also around a " +
    "transfer; transfers may leave the origin and follow each other";
  fs.writeFileSync(outPath, JSON.stringify({
    planner: `raptor-journey-planner ${VERSION}`, load_s: loadS, arrivals, seconds: times, notes, peak_rss_mb: peakRssMb(),
  }));
}

main(process.argv.slice(2));
