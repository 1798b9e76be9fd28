// Progressive enhancement: <time data-relative datetime="..."> shows "3 hours ago" (in the
// page's language) instead of the date it carries. The page is cached and each card's HTML
// stored, so the server cannot know "now"; without JavaScript the date stays, still true.
//
// Nothing runs while the page loads: building an Intl.RelativeTimeFormat costs tens of
// milliseconds on a phone (Lighthouse counted it as Total Blocking Time), so the words wait
// for the page to have loaded and the browser to be idle. The date shown until then is true.
(function () {
  "use strict";
  function relativise() {
    var elements = document.querySelectorAll("time[data-relative]");
    if (!elements.length || !("RelativeTimeFormat" in Intl)) return;
    var format = new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "auto" });
    var units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];
    elements.forEach(function (element) {
      var seconds = (Date.parse(element.dateTime) - Date.now()) / 1000;
      if (isNaN(seconds)) return;
      var unit = units.find(function (u) { return Math.abs(seconds) >= u[1]; }) || ["second", 1];
      element.title = element.textContent.trim();
      element.textContent = format.format(Math.round(seconds / unit[1]), unit[0]);
    });
  }
  function whenIdle() {
    if ("requestIdleCallback" in window) window.requestIdleCallback(relativise, { timeout: 5000 });
    else window.setTimeout(relativise, 1);
  }
  if (document.readyState === "complete") whenIdle();
  else window.addEventListener("load", whenIdle, { once: true });
})();
