/*
  Incident banner, published by broadcast's web_banner channel. On every page of the site:

    <head>  <link rel="stylesheet" href="/status/banner.css">
            <script src="/status/banner.js"></script>      (after the stylesheet, no defer)
    <body>  <div id="broadcast-banner"></div>              (first in <body>, where it goes)

  The page never moves for the banner. banner.css, written with banner.json, says which messages
  there are, until when the time-limited ones show, and how many lines they take. This script's
  first lines run before the page is painted: with the visitor's clock and the messages they
  dismissed, they mark <html> "broadcast-banner-on" (banner.css keeps the banner's height) or
  "broadcast-banner-off" (it keeps none). Then banner.json fills that space. Only the visitor
  changes the height afterwards: opening the strip of several messages, or dismissing it.

  A page that includes banner.html in the <div> as well gets one banner, not two: this script
  takes the fragment's markup over (the same markup it builds) and rewrites it in place.

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
  // The looks banner.css gives the room kept before banner.json answers (a drill's: hatched).
  var KINDS = Object.keys(ICONS).concat("exercise");
  // Web addresses in a text become links that break after a slash or a dot, never mid-word.
  var URL_IN_TEXT = /https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;
  var BREAK_AFTER = /([\/?&=#.]+)/;

  // Only known while the script first runs: gone by the time fetch answers.
  var script = document.currentScript;
  if (!script || !window.fetch || !window.URL) return;
  var root = document.documentElement;
  var source = new URL("banner.json", script.src);

  function remembered() {
    try {
      return (window.localStorage.getItem(STORAGE_KEY) || "").split(" ");
    } catch (error) {
      return []; // storage disabled: the banner simply comes back on each page
    }
  }

  function remember(keys) {
    try {
      var kept = remembered().filter(Boolean);
      kept = kept.concat(keys).slice(-40);
      window.localStorage.setItem(STORAGE_KEY, kept.join(" "));
    } catch (error) {
      // The banner is hidden on this page all the same.
    }
  }

  // A CSS string as getPropertyValue gives it: quotes off, escapes ("\22 ") read.
  function cssString(name) {
    var raw = window.getComputedStyle(root).getPropertyValue(name).trim();
    if (!raw) return null;
    var quote = raw.charAt(0);
    if ((quote === '"' || quote === "'") && raw.charAt(raw.length - 1) === quote) {
      raw = raw.slice(1, -1);
    }
    return raw.replace(/\\([0-9a-fA-F]{1,6}) ?|\\(.)/g, function (all, hex, other) {
      return hex ? String.fromCodePoint(parseInt(hex, 16)) : other;
    });
  }

  function ended(until) {
    return until !== "-" && !(Date.parse(until) > Date.now());
  }

  // 1. Before the first paint: what banner.css says the publication holds, for this visitor.
  function published() {
    var facts = cssString("--broadcast-banner-items");
    if (facts === null) return null; // no banner.css (yet): nothing is known, nothing is kept
    var hidden = remembered();
    return facts
      .split(";")
      .map(function (fact) {
        var parts = fact.trim().split(" ");
        return { key: parts[0], until: parts[1] || "-", kind: parts[2] || "minor" };
      })
      .filter(function (fact) {
        return fact.key && hidden.indexOf(fact.key) < 0 && !ended(fact.until);
      });
  }

  var facts = published();
  var reserved = !!(facts && facts.length);
  root.classList.add("broadcast-banner-js");
  if (facts) settle(reserved, reserved ? facts[0].kind : null);

  function settle(on, kind) {
    root.classList.toggle("broadcast-banner-on", on);
    root.classList.toggle("broadcast-banner-off", !on);
    KINDS.forEach(function (name) {
      root.classList.toggle("broadcast-banner-kind-" + name, on && kind === name);
    });
  }

  // 2. The messages themselves: asked for at once, shown once the page's <body> is there.
  var answer = fetch(source, { cache: "no-store" })
    .then(function (response) {
      return response.ok ? response.json() : null;
    })
    .catch(function () {
      return null;
    });

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

  function element(tag, className, text) {
    var made = document.createElement(tag);
    if (className) made.className = className;
    if (text) made.textContent = text;
    return made;
  }

  function kindOf(incident) {
    var kind = ENDED[incident.state] ? incident.state : String(incident.severity);
    return ICONS[kind] ? kind : "minor";
  }

  function looks(incident) {
    return (
      "broadcast-banner--" + kindOf(incident) + (incident.exercise ? " broadcast-banner--exercise" : "")
    );
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

  // As banner_layout.url_shown: no scheme, no "www.", a long path cut after a slash.
  function shownUrl(url) {
    var shown = url.replace(/^https?:\/\/(www\.)?/, "");
    if (shown.length <= 32) return shown;
    var cut = shown.lastIndexOf("/", 31);
    return shown.slice(0, cut > 0 ? cut + 1 : 32) + "\u2026";
  }

  // Text, never markup: the headline is incident text. Its web addresses become links.
  function addText(to, text, links) {
    var last = 0;
    if (links) {
      text.replace(URL_IN_TEXT, function (url, at) {
        to.appendChild(document.createTextNode(text.slice(last, at)));
        var link = element("a", "broadcast-banner__url");
        link.href = url;
        // split() with a group: the separators are the odd parts; a break may follow each.
        shownUrl(url).split(BREAK_AFTER).forEach(function (part, index) {
          if (part) link.appendChild(document.createTextNode(part));
          if (index % 2 === 1) link.appendChild(document.createElement("wbr"));
        });
        to.appendChild(link);
        last = at + url.length;
        return url;
      });
    }
    to.appendChild(document.createTextNode(text.slice(last)));
  }

  function textOf(incident, links) {
    var words = incident.words || {};
    var text = element("p", "broadcast-banner__text");
    var label = typeof incident.label === "string" ? incident.label : "";
    var marker = typeof words.exercise === "string" ? words.exercise : "";
    if (incident.exercise && marker && label.indexOf(marker) === 0) {
      // A drill's fixed label, on a look of its own (banner.css): never taken for the real thing.
      text.appendChild(element("span", "broadcast-banner__drill", marker));
      label = label.slice(marker.length);
    }
    if (label) text.appendChild(element("span", "broadcast-banner__severity", label));
    addText(text, incident.headline, links);
    return text;
  }

  function moreOf(incident) {
    var href = webLink(incident.link);
    var words = incident.words || {};
    if (!href || !words.more) return null;
    var more = element("a", "broadcast-banner__more", words.more);
    more.href = href;
    return more;
  }

  function row(tag, className, incident, links) {
    var made = element(tag, className);
    made.appendChild(icon(kindOf(incident)));
    made.appendChild(textOf(incident, links));
    return made;
  }

  // One banner: one message, or several collapsed into one strip that opens (<details>).
  function build(shown, place) {
    var first = shown[0];
    var words = first.words || {};
    var critical = shown.some(function (incident) {
      return kindOf(incident) === "critical";
    });
    var banner = element("div", "broadcast-banner " + looks(first));
    banner.setAttribute("data-broadcast-banner", "");
    banner.setAttribute("role", critical ? "alert" : "status");
    banner.setAttribute("aria-live", critical ? "assertive" : "polite");
    if (first.language) banner.lang = String(first.language);
    var keys = shown.map(keyOf);
    banner.setAttribute("data-keys", keys.join(" "));

    if (shown.length === 1) {
      var inner = row("div", "broadcast-banner__inner", first, true);
      var more = moreOf(first);
      if (more) inner.appendChild(more);
      banner.appendChild(inner);
    } else {
      banner.className += " broadcast-banner--several";
      var details = element("details", "broadcast-banner__several");
      var summary = row("summary", "broadcast-banner__inner", first, false);
      var count = String(words.several || "{n}").replace("{n}", String(shown.length));
      summary.appendChild(element("span", "broadcast-banner__more broadcast-banner__count", count));
      details.appendChild(summary);
      var list = element("ul", "broadcast-banner__list");
      shown.forEach(function (incident) {
        var item = row("li", "broadcast-banner__item " + looks(incident), incident, true);
        if (incident.language) item.lang = String(incident.language);
        var link = moreOf(incident);
        if (link) item.appendChild(link);
        list.appendChild(item);
      });
      details.appendChild(list);
      banner.appendChild(details);
    }
    var name = shown.length === 1 ? words.dismiss : words.dismiss_all || words.dismiss;
    banner.appendChild(dismissButton(name || "Dismiss"));
    wire(banner, place);
    return banner;
  }

  function dismissButton(name) {
    var button = element("button", "broadcast-banner__dismiss", "\u00d7");
    button.type = "button";
    button.setAttribute("aria-label", name);
    return button;
  }

  // The visitor's own action: the only time the banner gives back its height.
  function wire(banner, place) {
    var button = banner.querySelector(".broadcast-banner__dismiss");
    if (!button) return;
    button.addEventListener("click", function () {
      remember((banner.getAttribute("data-keys") || "").split(" ").filter(Boolean));
      banner.remove();
      // The room goes; the slot stays displayed (not "off"), so that it can take the focus.
      settle(false, null);
      root.classList.remove("broadcast-banner-off");
      // Focus goes to where the banner was: never back to the top of the page.
      place.focus();
    });
  }

  // banner.json cannot be read, yet banner.css kept room for a message: say where to look.
  function fallback(place) {
    var banner = element("div", "broadcast-banner broadcast-banner--minor");
    banner.setAttribute("data-broadcast-banner", "");
    banner.setAttribute("role", "status");
    banner.setAttribute(
      "data-keys",
      facts
        .map(function (fact) {
          return fact.key;
        })
        .join(" ")
    );
    var inner = element("div", "broadcast-banner__inner");
    inner.appendChild(icon("minor"));
    var text = element("p", "broadcast-banner__text", cssString("--broadcast-banner-fallback") || "");
    inner.appendChild(text);
    var more = element("a", "broadcast-banner__more", cssString("--broadcast-banner-more") || "");
    more.href = new URL("index.html", script.src).href;
    inner.appendChild(more);
    banner.appendChild(inner);
    banner.appendChild(dismissButton(cssString("--broadcast-banner-dismiss") || "Dismiss"));
    wire(banner, place);
    return banner;
  }

  function show(data) {
    var place = slot();
    var fragment = place.querySelector("[data-broadcast-banner]");
    var incidents = data && Array.isArray(data.incidents) ? data.incidents : null;
    var hidden = remembered();
    var shown = (incidents || []).filter(function (incident) {
      return usable(incident) && hidden.indexOf(keyOf(incident)) < 0;
    });
    if (!place.hasAttribute("tabindex")) place.setAttribute("tabindex", "-1");
    if (shown.length) {
      // Rewritten in place: the fragment's markup is this one, its height the same.
      var banner = build(shown, place);
      if (fragment) place.replaceChild(banner, fragment);
      else place.appendChild(banner);
      settle(true, kindOf(shown[0]));
      return;
    }
    if (incidents === null && fragment) {
      wire(fragment, place); // the fragment is all there is to go on
      return;
    }
    if (incidents === null && reserved) {
      place.appendChild(fallback(place));
      return;
    }
    // Nothing to show. Where banner.css kept room, banner.json is newer than it (a cache).
    if (fragment) fragment.remove();
    settle(false, null);
  }

  function ready() {
    ensureStyles();
    answer.then(function (data) {
      try {
        show(data);
      } catch (error) {
        // No banner is better than a broken page.
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
