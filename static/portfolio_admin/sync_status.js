// A sync's status line above its list (model cards, contributions): while a run is queued or running,
// ask the server every 2 seconds and show its answer (HTML the server rendered and escaped).
// A file, not an inline script: the site's Content-Security-Policy allows none.
(function () {
  "use strict";

  const box = document.getElementById("sync-status");
  // The line's class says the run's status (templates/admin/portfolio/_sync_status.html).
  if (!box || !box.querySelector(".sync-status__line--queued, .sync-status__line--running")) {
    return;
  }
  const INTERVAL = 2000;
  let failures = 0;

  function later() {
    window.setTimeout(poll, INTERVAL);
  }

  async function poll() {
    let status;
    try {
      const response = await fetch(box.dataset.url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const type = response.headers.get("Content-Type") || "";
      if (!response.ok || !type.startsWith("application/json")) {
        return; // logged out, or no longer allowed: the "Reload" of the page says the rest
      }
      status = await response.json();
    } catch (error) {
      failures += 1;
      if (failures < 5) {
        later(); // the server restarting, a dropped connection: try a few more times
      }
      return;
    }
    failures = 0;
    box.innerHTML = status.html;
    if (status.active) {
      later();
    } else {
      box.classList.add("is-updated"); // shows the "reload the list" link: the rows' numbers are from before
    }
  }

  later();
})();
