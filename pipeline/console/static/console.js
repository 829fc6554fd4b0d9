// Live queue: poll the JSON endpoint every 2 s with the page's filters and swap in the rows it renders.
(function () {
  "use strict";
  const table = document.querySelector("#holds tbody");
  if (!table) {
    return;
  }
  const count = document.getElementById("hold-count");
  const updated = document.getElementById("updated");

  async function refresh() {
    try {
      const response = await fetch("/api/holds" + window.location.search, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (response.status === 401) {
        window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
        return;
      }
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      const data = await response.json();
      // Ages change every minute, so rows are swapped on every poll, not only when the version changes.
      table.innerHTML = data.holds.map((hold) => hold.row_html).join("");
      count.textContent = String(data.holds.length);
      updated.textContent = "Last update " + new Date().toLocaleTimeString() + ".";
      updated.classList.remove("stale");
    } catch (error) {
      updated.textContent = "Update failed (" + error.message + "); retrying.";
      updated.classList.add("stale");
    }
  }

  window.setInterval(refresh, 2000);
  refresh();
})();
