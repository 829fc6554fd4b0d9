// Actions that cannot be undone ask first: a form with data-confirm is sent only when confirmed, and says
// so in its `confirmed` field (without it, the server asks on a page of its own). The bulk form asks only
// for the actions named in data-confirm-actions.
(function () {
  "use strict";
  function ask(form, message, event) {
    if (!window.confirm(message)) {
      event.preventDefault();
      return;
    }
    const confirmed = form.querySelector("input[name=confirmed]");
    if (confirmed) {
      confirmed.value = "yes";
    }
  }
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => ask(form, form.dataset.confirm, event));
  }
  const bulk = document.getElementById("bulk");
  if (bulk) {
    bulk.addEventListener("submit", (event) => {
      const action = bulk.querySelector("select[name=action]").value;
      const count = document.querySelectorAll("#holds input.select:checked").length;
      if (count === 0) {
        event.preventDefault();
        window.alert("Select at least one hold first.");
        return;
      }
      if (action === "deny") {
        ask(bulk, "Deny " + count + " selected order(s)? Each block is confirmed and the hold closes.", event);
      }
    });
  }
})();

// A detail page polls its order and says when a newer decision replaced the one shown.
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

// The queue polls /api/holds every 2 s with the page's filters and page number. Rows are matched by
// order id: an unchanged row keeps its node (and so its focus and checkbox), a changed one is swapped
// and gets its selection and focus back; a row whose decision changed loses its selection, because the
// analyst selected what they saw.
(function () {
  "use strict";
  const table = document.querySelector("#holds tbody");
  if (!table) {
    return;
  }
  const count = document.getElementById("hold-count");
  const pageCount = document.getElementById("page-count");
  const pagerTotal = document.getElementById("pager-total");
  const updated = document.getElementById("updated");
  const selectedCount = document.getElementById("selected-count");
  const selectAll = document.getElementById("select-all");
  const rendered = new WeakMap(); // row -> the HTML it was built from

  for (const row of table.rows) {
    rendered.set(row, null); // server-rendered: replaced on the first poll only if it changed
  }

  function selected() {
    return new Set(Array.from(table.querySelectorAll("input.select:checked"), (box) => box.value));
  }

  function showSelection() {
    const boxes = table.querySelectorAll("input.select");
    const checked = table.querySelectorAll("input.select:checked").length;
    if (selectedCount) {
      selectedCount.textContent = String(checked);
    }
    if (selectAll) {
      selectAll.checked = boxes.length > 0 && checked === boxes.length;
      selectAll.indeterminate = checked > 0 && checked < boxes.length;
    }
  }

  function build(html) {
    const template = document.createElement("template");
    template.innerHTML = "<table><tbody>" + html + "</tbody></table>";
    const row = template.content.querySelector("tr");
    rendered.set(row, html);
    return row;
  }

  function focusKey(element) {
    if (!element || !table.contains(element)) {
      return null;
    }
    const row = element.closest("tr");
    const kind = element.matches("input.select") ? "input.select" : "a";
    return { order: row.dataset.orderId, kind: kind };
  }

  function apply(holds) {
    const keep = selected();
    const focus = focusKey(document.activeElement);
    const old = new Map(Array.from(table.rows, (row) => [row.dataset.orderId, row]));
    const rows = holds.map((hold) => {
      const existing = old.get(hold.order_id);
      if (existing && rendered.get(existing) === hold.row_html) {
        return existing;
      }
      if (existing && rendered.get(existing) === null) {
        // First poll: a checkbox's state is a property, not markup, so the markup compares as served.
        const fresh = build(hold.row_html);
        if (existing.outerHTML === fresh.outerHTML) {
          rendered.set(existing, hold.row_html);
          return existing;
        }
        return fresh;
      }
      return build(hold.row_html);
    });
    rows.forEach((row, index) => {
      const box = row.querySelector("input.select");
      if (box && keep.has(box.value)) {
        box.checked = true;
      }
      if (table.rows[index] !== row) {
        table.insertBefore(row, table.rows[index] || null);
      }
    });
    while (table.rows.length > rows.length) {
      table.deleteRow(rows.length);
    }
    if (focus && !table.contains(document.activeElement)) {
      const row = rows.find((r) => r.dataset.orderId === focus.order);
      const target = row && row.querySelector(focus.kind);
      if (target) {
        target.focus();
      }
    }
    showSelection();
  }

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
      apply(data.holds);
      count.textContent = String(data.total);
      if (pageCount) {
        pageCount.textContent = String(data.pages);
        pagerTotal.textContent = String(data.total);
      }
      updated.textContent = "Last update " + new Date().toLocaleTimeString() + ".";
      updated.classList.remove("stale");
    } catch (error) {
      updated.textContent = "Update failed (" + error.message + "); retrying.";
      updated.classList.add("stale");
    }
  }

  table.addEventListener("change", showSelection);
  if (selectAll) {
    selectAll.addEventListener("change", () => {
      for (const box of table.querySelectorAll("input.select")) {
        box.checked = selectAll.checked;
      }
      showSelection();
    });
  }
  showSelection();
  window.setInterval(refresh, 2000);
  refresh();
})();
