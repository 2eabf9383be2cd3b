// raptor-journey-planner 2.2.3 (npm, TypeScript RAPTOR) as a peer of benchmarks.compare.
//
//   TRAJET_PEER_ENV=benchmarks/.peers/raptor-journey-planner TZ=UTC \
//     node benchmarks/peers/rjp_driver.mjs QUERIES OUT --feed FEED.zip     [RJP_SCAN_CACHE=round|query|off]
//
// Loader shim: the package's loadGTFS never finishes with current dependencies (gtfs-stream), so
// this driver reads the zip itself (`unzip -p`, no extra npm package) and builds what loadGTFS
// returns (trips with stop times, transfers, interchange times) for RaptorAlgorithmFactory.create.
// Adapter choices, to stand on Trajet's ground:
// - the day view: trips of the date, of the day before (still running after midnight) and of the
//   next day, in seconds after midnight of the date (times past 24:00 kept as they are); the
//   calendars are checked here, the planner sees only running trips; frequencies.txt expanded
//   (start + k * headway < end), which loadGTFS ignores; stop times sorted by stop_sequence;
//   pickup/drop_off_type 1 forbids boarding/alighting (loadGTFS reads an empty value as 1 too).
// - transfers.txt as Trajet reads it, a parent station standing for its platforms: type 2 at one
//   stop is the stop's interchange time; type 2 between stops a transfer of min_transfer_time,
//   other types between stops a walk at 1.33 m/s; type 3 is not modelled. No other walking.
// - scan cache: RouteScanner keeps, per route, the position of the last trip it found for the
//   whole query and never looks at later trips again, so a later round that must board a later
//   trip of the route finds none (helsinki: 7 of 100 journeys lost). Default "round": the
//   positions are forgotten at each round; "query" is upstream's behaviour; "off" scans back from
//   the last trip at every lookup, which is slower and exposes a boarding slip: when a stop's
//   interchange time makes the trip ridden look too late, scanRoutes takes the first trip after
//   the previous round's arrival even if it is later than the one ridden (2 of 100 on nyc-subway).
// Model differences: an interchange time is charged on arriving at a stop by trip or transfer, so
// a transfer costs interchange(from) + link + interchange(to) (nyc-subway: 540 s against
// Trajet's 180 s: later); transfers may also leave the origin before any ride (earlier) and may
// follow one another; Trajet walks only after a ride, once, then may board at once.
// Arrival: the earliest journey of DepartAfterQuery over one search day.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { performance } from "node:perf_hooks";

const require = createRequire(path.resolve(process.env.TRAJET_PEER_ENV, "package.json"));
const rjp = require("raptor-journey-planner");
const VERSION = require("raptor-journey-planner/package.json").version;
const SCAN_CACHE = process.env.RJP_SCAN_CACHE || "round";  // "round", "query" (upstream) or "off"
if (!["round", "query", "off"].includes(SCAN_CACHE)) throw new Error(`RJP_SCAN_CACHE=${SCAN_CACHE}: not round, query, off`);
const DAY = 86400;
const WALK_SPEED_M_S = 1.33;

// one GTFS file of the zip as rows of strings, with a column index; [] when absent
function readTable(feed, name) {
  let text;
  try {
    text = execFileSync("unzip", ["-p", feed, name], { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "ignore"] })
      .toString();
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
    const inRange = +r[cal.col.start_date] <= day && day <= +r[cal.col.end_date];
    if (inRange && r[cal.col[weekday]] === "1") active.add(r[cal.col.service_id]);
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
    const [arr, dep] = [r[c.arrival_time] || r[c.departure_time], r[c.departure_time] || r[c.arrival_time]];
    if (!arr) throw new Error(`trip ${trip}: a stop without times (this shim does not interpolate)`);
    byTrip.get(trip).push({
      seq: +r[c.stop_sequence], stop: r[c.stop_id], arr: seconds(arr), dep: seconds(dep),
      pickUp: (r[c.pickup_type] || "0").trim() !== "1", dropOff: (r[c.drop_off_type] || "0").trim() !== "1",
    });
  }
  for (const rows of byTrip.values()) rows.sort((a, b) => a.seq - b.seq);
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
  const specific = ["from_route_id", "to_route_id", "from_trip_id", "to_trip_id"].filter(k => k in c);
  for (const r of tr.rows) {
    if (specific.some(k => r[c[k]])) continue;  // route/trip-specific: Trajet drops them too
    const kind = +(r[c.transfer_type] || 0), secs = parseInt(r[c.min_transfer_time] ?? "", 10);
    if (kind === 3) continue;  // forbidden: not modelled
    for (const a of platforms(r[c.from_stop_id])) {
      for (const b of platforms(r[c.to_stop_id])) {
        if (a === b) {
          if (kind === 2 && secs >= 0) interchange[a] = secs;
          continue;
        }
        const walk = () => Math.ceil(distanceM(where.get(a), where.get(b)) / WALK_SPEED_M_S);
        const duration = kind === 2 && secs >= 0 ? secs : walk();
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
  const feeds = rest.filter((_, i) => rest[i - 1] === "--feed");
  if (feeds.length !== 1) throw new Error(`one --feed expected, got ${feeds.length}: this driver reads a single feed`);
  const [feed] = feeds;
  const spec = JSON.parse(fs.readFileSync(queriesPath, "utf8"));
  const date = new Date(`${spec.date}T00:00:00Z`);
  const started = performance.now();
  const trips = loadTrips(feed, date);
  const [transfers, interchange] = loadTransfers(feed);
  const raptor = rjp.RaptorAlgorithmFactory.create(trips, transfers, interchange);
  if (SCAN_CACHE === "round") {  // forget the scan positions at the start of each round
    const scanRoutes = raptor.scanRoutes.bind(raptor);
    raptor.scanRoutes = (results, scanner, marked) => {
      scanner.routeScanPosition = {};
      scanRoutes(results, scanner, marked);
    };
  } else if (SCAN_CACHE === "off") {  // every lookup scans back from the route's last trip
    const byRoute = raptor.routeScannerFactory.tripsByRoute;
    raptor.routeScannerFactory = { create: (day, dow) => new FreshRouteScanner(byRoute, day, dow) };
  }
  const query = new rjp.DepartAfterQuery(raptor, new rjp.JourneyFactory(), 1);
  const loadS = (performance.now() - started) / 1000;

  const served = q => Object.hasOwn(raptor.transfers, q.from) && Object.hasOwn(raptor.transfers, q.to);  // day's stops
  const [q0] = spec.queries;
  if (served(q0)) query.plan(q0.from, q0.to, new Date(date), q0.time);  // warm-up
  const arrivals = [], times = [];
  for (const q of spec.queries) {
    const ok = served(q);
    const t0 = performance.now();
    const journeys = ok ? query.plan(q.from, q.to, new Date(date), q.time) : [];
    times.push((performance.now() - t0) / 1000);
    arrivals.push(journeys.length ? Math.min(...journeys.map(j => j.arrivalTime)) : null);
  }
  const notes = `scan cache ${SCAN_CACHE === "off" ? "off" : `kept per ${SCAN_CACHE}`}; adapter: loader shim ` +
    "(day view, frequencies expanded, transfers.txt by platform); interchange time charged on arrival, " +
    "so also around a transfer; " +
    "transfers may leave the origin and follow each other";
  fs.writeFileSync(outPath, JSON.stringify({
    planner: `raptor-journey-planner ${VERSION}`, load_s: loadS, arrivals, seconds: times, notes, peak_rss_mb: peakRssMb(),
  }));
}

main(process.argv.slice(2));
