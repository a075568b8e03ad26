/*
  Incident banner, published by broadcast's web_banner channel. On every page of the site:

    <head>  <link rel="stylesheet" href="/status/banner.css">
    <body>  <div id="broadcast-banner"></div>   (first in <body>, where the banner goes)
            ...
            <script src="/status/banner.js" defer></script>

  It reads banner.json from its own folder and shows each incident in progress, most severe
  first, then for a short while those just resolved ("restored"). banner.css, written with
  banner.json, reserves the height they need, so the page does not move when they appear.
  No inline style or script (it works under Content-Security-Policy: default-src 'self'),
  no dependencies, no globals.
*/
(function () {
  "use strict";

  var STORAGE_KEY = "broadcast-banner-dismissed";
  var SVG = "http://www.w3.org/2000/svg";
  // Severity is said in words and shown by a shape, not by colour alone.
  var ICONS = {
    critical: "M7 1h6l6 6v6l-6 6H7l-6-6V7z M9 5h2v7H9z M9 14h2v2H9z",
    major: "M10 1l9.5 17h-19z M9 7h2v6H9z M9 14h2v2H9z",
    minor: "M10 1a9 9 0 1 0 0.01 0z M9 8h2v7H9z M9 4.5h2v2H9z",
    restored: "M10 1a9 9 0 1 0 0.01 0z M5 10.5l1.5-1.5 2.5 2.5 5-5 1.5 1.5-6.5 6.5z",
    corrected: "M3 2h14v16H3z M6 6h8v2H6z M6 10h8v2H6z M6 14h5v2H6z",
  };
  // Shown for a while after the end: the time is written beside them in banner.json.
  var ENDED = { restored: true, corrected: true };

  // Only known while the script first runs: gone by the time fetch answers.
  var script = document.currentScript;
  if (!script || !window.fetch) return;
  var source = new URL("banner.json", script.src);

  function remembered() {
    try {
      return (window.localStorage.getItem(STORAGE_KEY) || "").split(" ");
    } catch (error) {
      return []; // storage disabled: the banner simply comes back on each page
    }
  }

  function remember(key) {
    try {
      var kept = remembered().filter(Boolean).slice(-19);
      kept.push(key);
      window.localStorage.setItem(STORAGE_KEY, kept.join(" "));
    } catch (error) {
      // The banner is hidden on this page all the same.
    }
  }

  // A relative link is the incident's page beside banner.js; only http(s) becomes a link.
  function webLink(value) {
    if (typeof value !== "string" || !value) return null;
    try {
      var url = new URL(value, script.src);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function slot() {
    var found = document.getElementById("broadcast-banner");
    if (found) return found;
    // A page without the slot: the banner goes first in <body> (it then moves the page).
    found = document.createElement("div");
    found.id = "broadcast-banner";
    document.body.insertBefore(found, document.body.firstChild);
    return found;
  }

  function ensureStyles() {
    var href = new URL("banner.css", script.src).href;
    var links = document.querySelectorAll("link[rel~=stylesheet]");
    for (var i = 0; i < links.length; i++) if (links[i].href === href) return;
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    document.head.appendChild(link);
  }

  function icon(kind) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "broadcast-banner__icon");
    svg.setAttribute("viewBox", "0 0 20 20");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(SVG, "path");
    path.setAttribute("d", ICONS[kind] || ICONS.minor);
    path.setAttribute("fill", "currentColor");
    path.setAttribute("fill-rule", "evenodd");
    svg.appendChild(path);
    return svg;
  }

  // Dismissing one update does not hide the next: the key holds the update's time.
  function keyOf(incident) {
    return String(incident.id) + "@" + String(incident.updated_at) + "@" + incident.state;
  }

  function usable(incident) {
    if (!incident || typeof incident.headline !== "string") return false;
    if (incident.state === "active") return true;
    // "Restored" or "corrected" lasts until the time written beside it; the visitor's clock
    // decides.
    return ENDED[incident.state] === true && Date.parse(incident.until) > Date.now();
  }

  function item(incident, place) {
    var kind = ENDED[incident.state] ? incident.state : String(incident.severity);
    var critical = kind === "critical";
    var words = incident.words || {};

    var banner = document.createElement("div");
    banner.setAttribute("data-broadcast-banner", "");
    banner.setAttribute("data-incident", String(incident.id));
    banner.className = "broadcast-banner broadcast-banner--" + (ICONS[kind] ? kind : "minor");
    banner.setAttribute("role", critical ? "alert" : "status");
    banner.setAttribute("aria-live", critical ? "assertive" : "polite");
    if (incident.language) banner.lang = String(incident.language);

    var inner = document.createElement("div");
    inner.className = "broadcast-banner__inner";
    inner.appendChild(icon(kind));

    var text = document.createElement("p");
    text.className = "broadcast-banner__text";
    if (typeof incident.label === "string" && incident.label) {
      var label = document.createElement("span");
      label.className = "broadcast-banner__severity";
      label.textContent = incident.label; // with its own punctuation ("Grave\u00a0: ")
      text.appendChild(label);
    }
    // Text, never markup: the headline is incident text.
    text.appendChild(document.createTextNode(incident.headline));
    var href = webLink(incident.link);
    if (href && words.more) {
      text.appendChild(document.createTextNode(" "));
      var more = document.createElement("a");
      more.href = href;
      more.textContent = words.more;
      text.appendChild(more);
    }
    inner.appendChild(text);

    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "broadcast-banner__dismiss";
    dismiss.textContent = "\u00d7";
    dismiss.setAttribute("aria-label", words.dismiss || "Dismiss this message");
    dismiss.addEventListener("click", function () {
      remember(keyOf(incident));
      var next = banner.nextElementSibling || banner.previousElementSibling;
      banner.remove();
      // Focus goes to the next message's button, or to where the banner was: never <body>.
      var button = next && next.querySelector(".broadcast-banner__dismiss");
      if (button) {
        button.focus();
      } else {
        place.classList.add("broadcast-banner--settled");
        place.focus();
      }
    });
    inner.appendChild(dismiss);
    banner.appendChild(inner);
    return banner;
  }

  function show(data) {
    var place = slot();
    var hidden = remembered();
    var incidents = data && Array.isArray(data.incidents) ? data.incidents : [];
    var shown = incidents.filter(function (incident) {
      return usable(incident) && hidden.indexOf(keyOf(incident)) < 0;
    });
    if (place.querySelector("[data-broadcast-banner]")) return;
    if (!place.hasAttribute("tabindex")) place.setAttribute("tabindex", "-1");
    if (!shown.length) {
      // Nothing (left) to show: give back the height banner.css reserved.
      place.classList.add("broadcast-banner--settled");
      return;
    }
    shown.forEach(function (incident) {
      place.appendChild(item(incident, place));
    });
  }

  ensureStyles();
  fetch(source, { cache: "no-store" })
    .then(function (response) {
      return response.ok ? response.json() : null;
    })
    .then(show)
    .catch(function () {
      // No banner is better than a broken page.
      try {
        show(null);
      } catch (error) {
        // Nothing more to do.
      }
    });
})();
