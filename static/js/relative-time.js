// Progressive enhancement: <time data-relative datetime="..."> shows "3 hours ago" (in the
// page's language) instead of the date it carries. The page is cached and each card's HTML
// stored, so the server cannot know "now"; without JavaScript the date stays, still true.
(function () {
  "use strict";
  if (!("RelativeTimeFormat" in Intl)) return;
  var format = new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "auto" });
  var units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];
  document.querySelectorAll("time[data-relative]").forEach(function (element) {
    var seconds = (Date.parse(element.dateTime) - Date.now()) / 1000;
    if (isNaN(seconds)) return;
    var unit = units.find(function (u) { return Math.abs(seconds) >= u[1]; }) || ["second", 1];
    element.title = element.textContent.trim();
    element.textContent = format.format(Math.round(seconds / unit[1]), unit[0]);
  });
})();
