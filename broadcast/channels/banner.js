/*
  Incident banner, published by broadcast's web_banner channel. Include it once per page:

    <script src="/status/banner.js" defer></script>

  It reads banner.json from its own folder and, while an incident is in progress, shows its
  headline at the top of the page. No dependencies, no globals.
*/
(function () {
  "use strict";

  var COLOURS = { critical: "#a4161a", major: "#a14a00", minor: "#1f5fa8" };
  var WORDS = {
    fr: { more: "En savoir plus", dismiss: "Masquer", dismissLabel: "Masquer ce message" },
    en: { more: "Read more", dismiss: "Dismiss", dismissLabel: "Dismiss this message" },
  };
  var STORAGE_KEY = "broadcast-banner-dismissed";

  // Only known while the script first runs: gone by the time fetch answers.
  var script = document.currentScript;
  if (!script || !window.fetch) return;
  var source = new URL("banner.json", script.src);

  function remembered() {
    try {
      return window.localStorage.getItem(STORAGE_KEY);
    } catch (error) {
      return null; // storage disabled: the banner simply comes back on each page
    }
  }

  function remember(value) {
    try {
      window.localStorage.setItem(STORAGE_KEY, value);
    } catch (error) {
      // The banner is hidden on this page all the same.
    }
  }

  function webLink(value) {
    try {
      var url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function show(incident) {
    if (!incident || incident.active !== true || typeof incident.headline !== "string") return;
    // id and updated_at together: dismissing one update does not hide the next.
    var seen = String(incident.id) + "@" + String(incident.updated_at);
    if (remembered() === seen || document.querySelector("[data-broadcast-banner]")) return;

    var language = String(incident.locale || "").slice(0, 2) === "fr" ? "fr" : "en";
    var words = WORDS[language];
    var critical = incident.severity === "critical";

    var banner = document.createElement("div");
    banner.setAttribute("data-broadcast-banner", "");
    banner.setAttribute("role", critical ? "alert" : "status");
    banner.setAttribute("aria-live", critical ? "assertive" : "polite");
    banner.lang = language;
    banner.style.cssText =
      "display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding:.75rem 1rem;" +
      "color:#fff;font:600 1rem/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;" +
      "background-color:" + (COLOURS[incident.severity] || COLOURS.minor);

    var text = document.createElement("p");
    text.style.cssText = "flex:1 1 20rem;margin:0";
    text.textContent = incident.headline; // text, never markup: the headline is incident text
    var href = webLink(incident.link);
    if (href) {
      var more = document.createElement("a");
      more.href = href;
      more.textContent = words.more;
      more.style.cssText = "color:#fff;text-decoration:underline;margin-left:.5rem";
      text.appendChild(more);
    }

    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.textContent = words.dismiss;
    dismiss.setAttribute("aria-label", words.dismissLabel);
    dismiss.style.cssText =
      "color:#fff;background:transparent;border:2px solid #fff;border-radius:.25rem;" +
      "padding:.25rem .75rem;font:inherit;cursor:pointer";
    dismiss.addEventListener("click", function () {
      remember(seen);
      banner.remove();
    });

    banner.appendChild(text);
    banner.appendChild(dismiss);
    document.body.insertBefore(banner, document.body.firstChild);
  }

  fetch(source, { cache: "no-store" })
    .then(function (response) {
      return response.ok ? response.json() : null;
    })
    .then(show)
    .catch(function () {
      // No banner is better than a broken page.
    });
})();
