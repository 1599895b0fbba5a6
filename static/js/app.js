/* Kuusikko's own script: type-ahead pickers, inline formset rows, the meeting draft kept on the
   device, and focus on error summaries. No inline handlers: everything is wired here. */
(function () {
  "use strict";

  // --- Type-ahead pickers ------------------------------------------------------------------
  // A ticked result moves into the picked list (and stays a form field there); an unticked
  // picked item goes away. Radio pickers keep a single item.
  function picker(el) { return el.closest("[data-typeahead]"); }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement)) return;
    var box = picker(input);
    if (!box || !(input.type === "checkbox" || input.type === "radio")) return;
    var picked = box.querySelector("[data-picked]");
    var item = input.closest("li");
    if (!picked || !item) return;
    if (item.parentElement === picked) {
      if (!input.checked) item.remove();
    } else if (input.checked) {
      if (box.hasAttribute("data-single")) picked.innerHTML = "";
      var duplicate = picked.querySelector(
        'input[name="' + CSS.escape(input.name) + '"][value="' + CSS.escape(input.value) + '"]');
      if (duplicate) { item.remove(); } else {
        var detail = item.querySelector(".pick-detail");
        if (detail) detail.remove();
        picked.appendChild(item);
      }
      var search = box.querySelector("[data-typeahead-input]");
      if (search) { search.value = ""; search.focus(); }
      var results = box.querySelector(".results");
      if (results) results.innerHTML = "";
    }
    saveDraftSoon(input.form);
  });

  // Enter in a type-ahead box searches; it must not submit the whole form.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && target.matches && target.matches("[data-typeahead-input]")) {
      event.preventDefault();
      if (window.htmx) window.htmx.trigger(target, "search");
    }
  });

  // --- Formset rows (new contacts, follow-ups) ------------------------------------------------
  function addRow(formset, values) {
    var total = formset.querySelector('input[name$="-TOTAL_FORMS"]');
    var template = formset.querySelector("template[data-formset-template]");
    var rows = formset.querySelector("[data-formset-rows]");
    var index = parseInt(total.value, 10) || 0;
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var row = holder.firstElementChild;
    while (holder.firstElementChild) rows.appendChild(holder.firstElementChild);
    total.value = String(index + 1);
    Object.keys(values || {}).forEach(function (name) {
      var field = row.querySelector('[name$="-' + name + '"]');
      if (field) field.value = values[name];
    });
    var first = row.querySelector("input:not([type=hidden]), textarea, select");
    if (first) first.focus();
    return row;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) return;
    if (button.hasAttribute("data-formset-add")) {
      addRow(button.closest("[data-formset]"));
      saveDraftSoon(button.form);
    } else if (button.hasAttribute("data-formset-remove")) {
      // Emptied rows count as unchanged and are ignored by the server; indexes stay contiguous.
      var row = button.closest("[data-formset-row]");
      var form = button.form;
      row.querySelectorAll("input, textarea, select").forEach(function (f) {
        if (f.type !== "hidden") f.value = "";
      });
      row.hidden = true;
      saveDraftSoon(form);
    } else if (button.hasAttribute("data-new-contact")) {
      var name = button.getAttribute("data-new-contact").trim().split(/\s+/);
      var last = name.length > 1 ? name.pop() : name[0];
      var firstName = name.length >= 1 && name[0] !== last ? name.join(" ") : "";
      var formset = document.querySelector('[data-formset="new_contacts"]');
      if (formset) {
        addRow(formset, { first_name: firstName, last_name: last });
        var box = picker(button);
        var search = box && box.querySelector("[data-typeahead-input]");
        if (search) search.value = "";
        button.closest(".results").innerHTML = "";
        saveDraftSoon(formset.closest("form"));
      }
    } else if (button.hasAttribute("data-draft-discard")) {
      var draftForm = button.closest("form");
      localStorage.removeItem(draftStorageKey(draftForm));
      window.location.reload();
    }
  });

  // --- Draft kept on the device -------------------------------------------------------------
  // The form's state is saved to localStorage as it is typed, restored when the empty form is
  // opened again (after a lost connection, a closed tab), and cleared when the server confirms
  // the meeting was saved (a message carries data-clear-draft).
  function draftStorageKey(form) { return "kuusikko-draft:" + form.getAttribute("data-draft-key"); }

  function syncAttributes(root) {
    root.querySelectorAll("input, textarea, select").forEach(function (field) {
      if (field.type === "checkbox" || field.type === "radio") {
        if (field.checked) field.setAttribute("checked", ""); else field.removeAttribute("checked");
      } else if (field.tagName === "TEXTAREA") {
        field.textContent = field.value;
      } else if (field.tagName === "SELECT") {
        Array.prototype.forEach.call(field.options, function (option) {
          if (option.selected) option.setAttribute("selected", ""); else option.removeAttribute("selected");
        });
      } else if (field.type !== "file") {
        field.setAttribute("value", field.value);
      }
    });
  }

  function outsideRegions(form) {
    return Array.prototype.filter.call(form.elements, function (field) {
      return field.name && field.name !== "csrfmiddlewaretoken" && !field.closest("[data-draft-region]") &&
        !field.hasAttribute("data-draft-ignore") && !field.closest("template") && field.type !== "file";
    });
  }

  function saveDraft(form) {
    if (!form || !form.hasAttribute("data-draft-key")) return;
    var regions = {};
    form.querySelectorAll("[data-draft-region]").forEach(function (region) {
      syncAttributes(region);
      regions[region.id] = region.innerHTML;
    });
    var fields = outsideRegions(form).map(function (field) {
      if (field.type === "checkbox" || field.type === "radio") return [field.name, field.value, field.checked];
      return [field.name, field.value, null];
    });
    try {
      localStorage.setItem(draftStorageKey(form), JSON.stringify({ savedAt: Date.now(), regions: regions, fields: fields }));
    } catch (e) { /* storage full or disabled: the form still works */ }
  }

  var timers = new WeakMap();
  function saveDraftSoon(form) {
    if (!form || !form.hasAttribute("data-draft-key")) return;
    clearTimeout(timers.get(form));
    timers.set(form, setTimeout(function () { saveDraft(form); }, 300));
  }

  function restoreDraft(form) {
    var raw = localStorage.getItem(draftStorageKey(form));
    if (!raw) return;
    var draft;
    try { draft = JSON.parse(raw); } catch (e) { return; }
    Object.keys(draft.regions || {}).forEach(function (id) {
      var region = document.getElementById(id);
      if (region && form.contains(region)) region.innerHTML = draft.regions[id];
    });
    var byName = {};
    outsideRegions(form).forEach(function (field) { (byName[field.name] = byName[field.name] || []).push(field); });
    var seen = {};
    (draft.fields || []).forEach(function (entry) {
      var name = entry[0], value = entry[1], checked = entry[2];
      var candidates = byName[name] || [];
      if (checked !== null) {
        candidates.forEach(function (f) { if (f.value === value) f.checked = checked; });
      } else {
        var i = seen[name] || 0;
        if (candidates[i]) candidates[i].value = value;
        seen[name] = i + 1;
      }
    });
    var notice = form.querySelector("[data-draft-notice]");
    if (notice) notice.hidden = false;
  }

  function initDraft(form) {
    if (form.getAttribute("data-draft-restore") === "true") restoreDraft(form);
    form.addEventListener("input", function () { saveDraftSoon(form); });
    form.addEventListener("change", function () { saveDraftSoon(form); });
    form.addEventListener("submit", function (event) {
      saveDraft(form);
      if (navigator.onLine === false) {
        event.preventDefault();
        var offline = form.querySelector("[data-offline-notice]");
        if (offline) { offline.hidden = false; offline.focus(); }
      }
    });
  }

  function init() {
    document.querySelectorAll("[data-clear-draft]").forEach(function (el) {
      localStorage.removeItem("kuusikko-draft:" + el.getAttribute("data-clear-draft"));
    });
    document.querySelectorAll("form[data-draft-key]").forEach(initDraft);
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
