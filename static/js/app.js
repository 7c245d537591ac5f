/* CSManage queue UI: keyboard shortcuts, canned replies, collision state. No framework. */
(function () {
  "use strict";

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]");
  }

  /* Queue list: j/k move, Enter/o open, x select; rows open on click. */
  var selected = -1;
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-keyboard-list] tbody tr[data-href]"));
  }
  function select(index) {
    var all = rows();
    if (!all.length) return;
    selected = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) { row.classList.toggle("selected", i === selected); });
    all[selected].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("click", function (event) {
    var row = event.target.closest("[data-keyboard-list] tbody tr[data-href]");
    if (row && !event.target.closest("a, input, button, label")) window.location = row.dataset.href;
  });
  document.addEventListener("htmx:afterSwap", function () { selected = -1; });

  /* Ticket page: who is looking, who is typing (sent with the presence heartbeat). */
  var replying = false;
  window.csmanagePresenceState = function () { return replying ? "replying" : "viewing"; };
  var body = document.getElementById("id_body");
  if (body) {
    body.addEventListener("input", function () { replying = body.value.trim().length > 0; });
    body.addEventListener("keydown", function (event) {
      if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
        event.preventDefault();
        body.form.requestSubmit();
      }
    });
  }

  /* Canned replies: the text (placeholders already filled) goes where the cursor is. */
  var macros = document.getElementById("macro-select");
  if (macros && body) {
    macros.addEventListener("change", function () {
      var option = macros.options[macros.selectedIndex];
      if (!option || !option.dataset.text) return;
      var start = body.selectionStart || body.value.length;
      var end = body.selectionEnd || body.value.length;
      body.value = body.value.slice(0, start) + option.dataset.text + body.value.slice(end);
      body.dispatchEvent(new Event("input"));
      body.focus();
      macros.selectedIndex = 0;
    });
  }

  /* Internal notes look different while being written. */
  document.querySelectorAll(".kind-toggle input").forEach(function (radio) {
    radio.addEventListener("change", function () {
      var box = radio.closest(".reply-box");
      if (box) box.classList.toggle("note-mode", radio.value === "note" && radio.checked);
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var search = document.getElementById("queue-search");
    switch (event.key) {
      case "j": select(selected + 1); break;
      case "k": select(selected - 1); break;
      case "Enter": case "o":
        if (selected >= 0 && rows()[selected]) window.location = rows()[selected].dataset.href;
        break;
      case "x":
        var box = selected >= 0 && rows()[selected] && rows()[selected].querySelector("input[type=checkbox]");
        if (box) box.checked = !box.checked;
        break;
      case "/":
        if (search) { event.preventDefault(); search.focus(); search.select(); }
        break;
      case "r":
        if (body) { event.preventDefault(); body.focus(); }
        break;
      case "n":
        var note = document.querySelector(".kind-toggle input[value=note]");
        if (note) { event.preventDefault(); note.checked = true; note.dispatchEvent(new Event("change")); body && body.focus(); }
        break;
      case "?":
        var help = document.getElementById("shortcut-help");
        if (help) help.toggleAttribute("hidden");
        break;
      default: return;
    }
  });
})();

/* SLA countdowns: time left to a due moment (negative once overdue), ticking every second. */
(function () {
  "use strict";
  var clocks = document.querySelectorAll(".countdown[data-due]");
  if (!clocks.length) return;
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var now = Date.now();
    clocks.forEach(function (el) {
      var left = Math.round((Date.parse(el.dataset.due) - now) / 1000);
      var sign = left < 0 ? "−" : "";
      var s = Math.abs(left);
      var text = sign + Math.floor(s / 3600) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
      el.textContent = text;
      el.classList.toggle("overdue", left < 0);
    });
  }
  tick();
  window.setInterval(tick, 1000);
})();
