// Actions that cannot be undone ask first: a form with data-confirm is sent only when confirmed.
(function () {
  "use strict";
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  }
})();

// Live pages without a reload: the queue polls /api/holds every 2 s with the page's filters and swaps in
// the rows it renders; a detail page polls its order and says when a newer decision replaced the one shown.
(function () {
  "use strict";
  const state = document.getElementById("hold-state");
  if (!state) {
    return;
  }
  const url = "/api/holds/" + encodeURIComponent(state.dataset.orderId);

  async function check() {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) {
      return;
    }
    const data = await response.json();
    if (data.current.decision_id === state.dataset.decisionId || document.getElementById("changed")) {
      return;
    }
    const banner = document.createElement("p");
    banner.id = "changed";
    banner.className = "notice";
    banner.setAttribute("role", "status");
    const link = document.createElement("a");
    link.href = window.location.pathname;
    link.textContent = "Reload";
    const route = data.current.route + (data.open ? " (still on hold)" : "");
    banner.append("A newer decision replaced this one: route " + route + ". ", link);
    state.after(banner);
  }

  window.setInterval(() => check().catch(() => undefined), 2000);
})();

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
