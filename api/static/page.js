// The traveller page (body[data-page=plan]) and the departure boards (body[data-page=board]).
// Plain JavaScript calling the JSON API of the same origin; the texts, the API key (if the
// service needs one) and the default day come from the server in #page-data.
"use strict";

const DATA = JSON.parse(document.getElementById("page-data").textContent);
const T = DATA.texts;
const SVG = "http://www.w3.org/2000/svg";  // the SVG namespace name, not a resource
const DEBOUNCE_MS = 200;
const BOARD_REFRESH_MS = 30000;
// line colours when the feed gives none: white text on each at least 4.5:1 (WCAG AA)
const MODE_COLORS = {BUS: "0b4f8a", TRAM: "00704a", SUBWAY: "a34400", RAIL: "8c1d40", FERRY: "005a70"};
const DEFAULT_COLOR = "3d3d3d";

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? values[name] : `{${name}}`));
}

function el(tag, attrs, ...children) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

// --- the API ---------------------------------------------------------------------------
async function api(path, params) {
  const query = new URLSearchParams(params).toString();
  const headers = DATA.key ? {"X-Api-Key": DATA.key} : {};
  let response;
  try {
    response = await fetch(path + (query ? "?" + query : ""), {headers});
  } catch (e) {
    return {ok: false, message: T.unreachable};
  }
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    body = null;
  }
  if (!response.ok) {
    const message = body && body.error ? body.error.message : `HTTP ${response.status}`;
    return {ok: false, status: response.status, message};
  }
  return {ok: true, body};
}

// --- times, colours ----------------------------------------------------------------------
function clock(iso) {
  return iso ? iso.slice(11, 16) : "";  // the feed's local time, as the API writes it
}

function durationText(seconds) {
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return fill(T.duration, {minutes});
  return fill(T.duration_h, {hours: Math.floor(minutes / 60), minutes: minutes % 60});
}

function luminance(hex) {
  const channel = (i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
}

function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

// background and text colours of a line: the feed's when they reach AA, else readable ones
function lineColors(color, textColor, mode) {
  const valid = (c) => typeof c === "string" && /^[0-9a-fA-F]{6}$/.test(c);
  const background = valid(color) ? color : MODE_COLORS[mode] || DEFAULT_COLOR;
  if (valid(textColor) && contrast(background, textColor) >= 4.5) return [background, textColor];
  const text = contrast(background, "ffffff") >= contrast(background, "000000") ? "ffffff" : "000000";
  return [background, text];
}

function lineBadge(name, color, textColor, mode) {
  const [background, text] = lineColors(color, textColor, mode);
  const badge = el("span", {class: "line"}, name || mode);
  // set through the CSSOM, which the page's Content-Security-Policy allows (not a style attribute)
  badge.style.backgroundColor = `#${background}`;
  badge.style.color = `#${text}`;
  return badge;
}

// --- polylines -----------------------------------------------------------------------------
// Google's encoded polyline (precision 5) -> [[lat, lon], ...]
function decodePolyline(text) {
  const points = [];
  let index = 0, lat = 0, lon = 0;
  const next = () => {
    let result = 0, shift = 0, byte;
    do {
      byte = text.charCodeAt(index++) - 63;
      result |= (byte & 0x1f) << shift;
      shift += 5;
    } while (byte >= 0x20);
    return result & 1 ? ~(result >> 1) : result >> 1;
  };
  while (index < text.length) {
    lat += next();
    lon += next();
    points.push([lat / 1e5, lon / 1e5]);
  }
  return points;
}

// --- the place inputs: an ARIA combobox each ------------------------------------------------
const COORDINATE = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/;

// what tells apart two suggestions of one name: the platform and lines of a stop, the area of an address
function placeDetail(place) {
  if (place.type !== "stop") return place.locality || "";
  const lines = (place.routes || []).slice(0, 6).map((r) => r.shortName).join(" ");
  return [place.platformCode ? fill(T.platform, {code: place.platformCode}) : "", lines].filter(Boolean).join(" · ");
}

function combobox(input) {
  const list = document.getElementById(input.getAttribute("aria-controls"));
  const status = document.getElementById("combo-status");
  let timer = null, options = [], active = -1, asked = 0;

  function close() {
    list.hidden = true;
    list.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    options = [];
    active = -1;
  }

  function choose(place) {
    input.value = place.name;
    input.dataset.place = place.place;
    close();
  }

  function highlight(i) {
    active = i;
    [...list.children].forEach((li, j) => li.setAttribute("aria-selected", j === i ? "true" : "false"));
    if (i >= 0) {
      input.setAttribute("aria-activedescendant", list.children[i].id);
      list.children[i].scrollIntoView({block: "nearest"});
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  async function suggest() {
    const text = input.value.trim();
    const ask = ++asked;
    if (text.length < 2 || COORDINATE.test(text)) return close();
    const answer = await api("/v1/places", {q: text, limit: 8});
    if (ask !== asked) return;  // a later keystroke asked again
    if (!answer.ok) return close();
    options = answer.body.places;
    list.replaceChildren(...options.map((place, i) => {
      const detail = placeDetail(place);
      const li = el("li", {id: `${list.id}-${i}`, role: "option", "aria-selected": "false"}, place.name,
                    detail ? " " : null, detail ? el("small", {}, detail) : null);
      li.addEventListener("mousedown", (event) => {
        event.preventDefault();  // keeps the focus in the input
        choose(place);
      });
      return li;
    }));
    list.hidden = options.length === 0;
    input.setAttribute("aria-expanded", options.length ? "true" : "false");
    active = -1;
    status.textContent = options.length ? fill(T.suggestions, {n: options.length}) : T.no_suggestion;
  }

  input.addEventListener("input", () => {
    delete input.dataset.place;
    clearTimeout(timer);
    timer = setTimeout(suggest, DEBOUNCE_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!options.length) return;
      event.preventDefault();
      let i = active + (event.key === "ArrowDown" ? 1 : -1);  // -1: back in the text typed
      if (i < -1) i = options.length - 1;
      if (i >= options.length) i = -1;
      highlight(i);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      choose(options[active]);
    } else if (event.key === "Escape") {
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
}

// what /v1/plan takes for an input: the place chosen, a lat,lon, else the best match of its text
async function resolvePlace(input, label) {
  const text = input.value.trim();
  if (input.dataset.place) return {place: input.dataset.place};
  if (!text) return {error: fill(T.give_place, {field: label})};
  if (COORDINATE.test(text)) return {place: text.replace(/\s/g, "")};
  const answer = await api("/v1/places", {q: text, limit: 1});
  if (!answer.ok) return {error: fill(T.error, {message: answer.message})};
  const best = answer.body.places[0];
  if (!best) return {error: fill(T.no_place, {text})};
  input.value = best.name;
  input.dataset.place = best.place;
  return {place: best.place};
}

// --- the results ------------------------------------------------------------------------------
function transfersText(n) {
  return n === 0 ? T.transfers_0 : n === 1 ? T.transfers_1 : fill(T.transfers_n, {n});
}

const endNames = {};  // the API's names of a coordinate origin and destination -> the traveller's words

function stopText(place) {
  const name = place.stopId ? place.name : endNames[place.name] || place.name;
  const code = place.platformCode;
  return code ? `${name} (${fill(T.platform, {code})})` : name;
}

function legItem(leg) {
  const from = el("time", {datetime: leg.startTime}, clock(leg.startTime));
  const to = el("time", {datetime: leg.endTime}, clock(leg.endTime));
  if (leg.mode === "WALK" || leg.mode === "BICYCLE") {
    const metres = Math.round(leg.distance || 0);
    const what = fill(leg.mode === "WALK" ? T.walk_leg : T.bike_leg, {metres});
    return el("li", {class: "leg walk"}, from, ` ${what} `,
              fill(T.from_to, {from: stopText(leg.from), to: stopText(leg.to)}), " ", to);
  }
  return el("li", {class: "leg transit"}, from, " ",
            lineBadge(leg.routeShortName, leg.routeColor, leg.routeTextColor, leg.mode), " ",
            leg.headsign ? fill(T.towards, {headsign: leg.headsign}) + " " : "",
            fill(T.from_to, {from: stopText(leg.from), to: stopText(leg.to)}), " ", to);
}

function summaryText(it) {
  return [fill(T.depart_at, {time: clock(it.startTime)}) + ", " + fill(T.arrive_at, {time: clock(it.endTime)}),
          durationText(it.duration), transfersText(it.transfers),
          fill(T.walk, {metres: Math.round(it.walkDistance || 0)})].join(" · ");
}

function itineraryItem(it, n) {
  const summary = summaryText(it);
  const heading = el("h3", {}, fill(T.journey, {n}), " ",
                     el("time", {datetime: it.startTime}, clock(it.startTime)), " → ",
                     el("time", {datetime: it.endTime}, clock(it.endTime)));
  return el("li", {class: "itinerary"}, heading, el("p", {class: "summary"}, summary),
            el("ol", {class: "legs"}, it.legs.map(legItem)), itineraryMap(it, n, summary));
}

// --- the map of an itinerary -------------------------------------------------------------------
const MAP_WIDTH = 600;
const streetsAsked = new Map();  // bbox text -> the promise of its segments

function itineraryMap(it, n, summary) {
  const legs = it.legs.map((leg) => ({leg, points: decodePolyline(leg.legGeometry ? leg.legGeometry.points : "")}));
  const all = legs.flatMap((l) => l.points);
  const svg = el("svg:svg", {class: "itinerary-map", role: "img", "aria-label": fill(T.map, {n, summary})});
  if (!all.length) return svg;
  let [minLat, maxLat] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let [minLon, maxLon] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  const padLat = Math.max((maxLat - minLat) * 0.08, 0.002), padLon = Math.max((maxLon - minLon) * 0.08, 0.004);
  [minLat, maxLat, minLon, maxLon] = [minLat - padLat, maxLat + padLat, minLon - padLon, maxLon + padLon];
  const shrink = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);  // a degree of longitude is shorter
  // a frame between 2:1 and 1:1 (width:height), widened around the journey as needed
  const wide = (maxLon - minLon) * shrink, tall = maxLat - minLat;
  if (tall > wide) [minLon, maxLon] = [minLon - (tall - wide) / shrink / 2, maxLon + (tall - wide) / shrink / 2];
  if (tall < wide / 2) [minLat, maxLat] = [minLat - (wide / 2 - tall) / 2, maxLat + (wide / 2 - tall) / 2];
  const scale = MAP_WIDTH / ((maxLon - minLon) * shrink);
  const height = (maxLat - minLat) * scale;
  const x = (lon) => ((lon - minLon) * shrink * scale).toFixed(1);
  const y = (lat) => ((maxLat - lat) * scale).toFixed(1);
  svg.setAttribute("viewBox", `0 0 ${MAP_WIDTH} ${height.toFixed(0)}`);
  const streets = el("svg:g", {class: "streets"});
  svg.append(streets);
  for (const {leg, points} of legs) {
    const d = points.map((p, i) => `${i ? "L" : "M"}${x(p[1])} ${y(p[0])}`).join("");
    if (leg.mode === "WALK" || leg.mode === "BICYCLE") {
      svg.append(el("svg:path", {d, class: "walking", "stroke-width": 2}));
    } else {
      const [background] = lineColors(leg.routeColor, leg.routeTextColor, leg.mode);
      svg.append(el("svg:path", {d, class: "transit", stroke: `#${background}`, "stroke-width": 5}));
    }
  }
  legs.forEach(({points}, i) => {  // the start, each change and the end
    const [lat, lon] = points[0] || [];
    if (lat !== undefined) svg.append(el("svg:circle", {cx: x(lon), cy: y(lat), r: i ? 4 : 6, class: i ? "" : "end"}));
  });
  const last = legs[legs.length - 1].points.at(-1);
  if (last) svg.append(el("svg:circle", {cx: x(last[1]), cy: y(last[0]), r: 6, class: "end"}));
  const bbox = [minLon, minLat, maxLon, maxLat].map((v) => v.toFixed(4)).join(",");
  if (!streetsAsked.has(bbox)) streetsAsked.set(bbox, api("/v1/streets", {bbox}));
  streetsAsked.get(bbox).then((answer) => {
    if (!answer.ok) return;  // too large a box, or refused: the journey is drawn without streets
    const major = new Set(["trunk", "primary", "secondary", "tertiary"]);
    const paths = {major: [], minor: []};
    for (const [lon1, lat1, lon2, lat2, kind] of answer.body.segments) {
      paths[major.has(kind) ? "major" : "minor"].push(`M${x(lon1)} ${y(lat1)}L${x(lon2)} ${y(lat2)}`);
    }
    streets.append(el("svg:path", {class: "street", d: paths.minor.join(""), "stroke-width": 1}),
                   el("svg:path", {class: "street major", d: paths.major.join(""), "stroke-width": 2.5}));
  });
  return svg;
}

// why there is no journey: the API's description (English), else in the page's language by its
// code and inputField (the French texts of page_texts.py)
function whyText(error, arriveBy) {
  if (DATA.lang === "en") return error.description;
  const key = `why_${error.code}`;
  const field = arriveBy && error.code === "NO_TRANSIT_CONNECTION_IN_SEARCH_WINDOW" ? "arrive" : error.inputField;
  return T[`${key}_${field}`] || T[key] || error.description;
}

// --- how the answer was computed ------------------------------------------------------------
function howText(body, arriveBy) {
  const c = body.computation || {};
  const parts = [];
  if (body.feeds && body.feeds.length) {
    parts.push(fill(T.how_feeds, {feeds: body.feeds.map((f) => fill(T.how_feed, f)).join("; ")}));
  }
  if (c.algorithm) {
    // the search told in the page's language from the answer's window and what was asked
    const window = body.searchWindowUsed || 0;
    const variant = (window ? fill(T.how_window, {minutes: Math.round(window / 60)}) : T.how_single) +
                    (arriveBy ? T.how_mirrored : "");
    parts.push(fill(T.how_algorithm, {name: c.algorithm.name, reference: c.algorithm.reference, variant}));
  }
  if (body.walking && body.walking.models) {
    const models = body.walking.models.map((model) => T[`model_${model}`] || model);
    parts.push(fill(T.how_walking, {models: models.join(", ")}));
  }
  if (c.cpuTimeMs !== undefined) {
    parts.push(fill(T.how_cost, {cpu: c.cpuTimeMs.toFixed(1), cost: (c.costEur || 0).toPrecision(2)}));
  }
  parts.push(T.how_attribution);
  return parts.map((p) => el("p", {}, p));
}

// --- the planner page ---------------------------------------------------------------------------
function plannerPage() {
  const form = document.getElementById("plan-form");
  const from = document.getElementById("from"), to = document.getElementById("to");
  const message = document.getElementById("message");
  const list = document.getElementById("itineraries");
  const earlier = document.getElementById("earlier"), later = document.getElementById("later");
  const how = document.getElementById("how"), howBody = document.getElementById("how-text");
  const search = document.getElementById("search");
  let asked = null;  // the last search's parameters, without date and time (the cursors replace them)
  let cursors = {};

  combobox(from);
  combobox(to);

  function say(text, isError) {
    message.textContent = text;
    message.className = isError ? "error" : "";
  }

  document.getElementById("locate").addEventListener("click", () => {
    if (!navigator.geolocation) return say(fill(T.no_location, {message: "—"}), true);
    say(T.locating);
    navigator.geolocation.getCurrentPosition((position) => {
      const text = `${position.coords.latitude.toFixed(6)},${position.coords.longitude.toFixed(6)}`;
      from.value = text;
      from.dataset.place = text;
      say(T.located + ": " + text);
    }, (error) => say(fill(T.no_location, {message: error.message}), true), {timeout: 15000});
  });

  function show(answer) {
    list.replaceChildren();
    earlier.hidden = later.hidden = how.hidden = true;
    if (!answer.ok) return say(fill(T.error, {message: answer.message}), true);
    const body = answer.body;
    const found = body.itineraries || [];
    const why = (body.routingErrors || []).map((e) => whyText(e, asked.arriveBy === "true")).filter(Boolean).join(" ");
    if (!found.length) say(why ? `${T.none} ${why}` : T.none, false);
    else say(found.length === 1 ? T.found_one : fill(T.found, {n: found.length}), false);
    list.replaceChildren(...found.map((it, i) => itineraryItem(it, i + 1)));
    cursors = {earlier: body.previousPageCursor, later: body.nextPageCursor};
    earlier.hidden = !cursors.earlier;
    later.hidden = !cursors.later;
    howBody.replaceChildren(...howText(body, asked.arriveBy === "true"));
    how.hidden = false;
  }

  async function run(params) {
    search.disabled = earlier.disabled = later.disabled = true;
    say(T.searching, false);
    document.getElementById("results").setAttribute("aria-busy", "true");
    show(await api("/v1/plan", params));
    document.getElementById("results").setAttribute("aria-busy", "false");
    search.disabled = earlier.disabled = later.disabled = false;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (DATA.blocked) return say(T.key_needed, true);
    const origin = await resolvePlace(from, T.from);
    if (origin.error) return say(origin.error, true);
    const destination = await resolvePlace(to, T.to);
    if (destination.error) return say(destination.error, true);
    asked = {from: origin.place, to: destination.place};
    Object.assign(endNames, {Origin: from.value.trim(), Destination: to.value.trim()});
    if (form.elements.when.value === "arrive") asked.arriveBy = "true";
    if (document.getElementById("wheelchair").checked) asked.wheelchair = "true";
    if (document.getElementById("bike").checked) {
      Object.assign(asked, {bikeOnBoard: "true", accessMode: "BICYCLE", egressMode: "BICYCLE",
                            directMode: "BICYCLE"});
    }
    const date = document.getElementById("date").value, time = document.getElementById("time").value;
    run({...asked, ...(date ? {date} : {}), ...(time ? {time} : {})});
  });
  earlier.addEventListener("click", () => cursors.earlier && run({...asked, pageCursor: cursors.earlier}));
  later.addEventListener("click", () => cursors.later && run({...asked, pageCursor: cursors.later}));
}

// --- the departure board ------------------------------------------------------------------------
function boardPage() {
  if (!DATA.stopId || DATA.blocked) return;
  const body = document.querySelector("#departures tbody");
  const message = document.getElementById("message");

  async function refresh() {
    const params = {limit: 20};
    if (DATA.date) params.date = DATA.date;
    const answer = await api(`/v1/stops/${encodeURIComponent(DATA.stopId)}/departures`, params);
    if (!answer.ok) {
      message.textContent = fill(T.board_error, {message: answer.message});
      return;
    }
    const rows = answer.body.departures;
    body.replaceChildren(...rows.map((d) => el("tr", {},
      el("td", {class: "time"}, el("time", {datetime: d.time}, clock(d.time))),
      el("td", {}, d.platformCode || ""),
      el("td", {}, lineBadge(d.routeShortName, d.routeColor, d.routeTextColor, d.mode)),
      el("td", {}, d.headsign || ""))));
    const now = new Date();
    const time = `${String(now.getHours()).padStart(2, "0")}:${String(now.getMinutes()).padStart(2, "0")}`;
    message.textContent = rows.length ? fill(T.board_updated, {time}) : T.board_none;
  }

  refresh();
  setInterval(refresh, BOARD_REFRESH_MS);
}

if (document.body.dataset.page === "plan") plannerPage();
else if (document.body.dataset.page === "board") boardPage();
